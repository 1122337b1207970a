#include "store/backend.h"

#include <cctype>

#include "store/sample.h"
#include "support/pg_server.h"

namespace skinscan::store::testing {

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "SQLite" : "PostgreSQL";
}

void BackendTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  dir_ = std::make_unique<skinscan::testing::TempDir>(name);
  if (!pg()) {
    db_ = (dir_->path() / "s.db").string();
    return;
  }
  if (!skinscan::testing::PgServer::bin_dir()) {
    GTEST_SKIP() << "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): "
                    "apt-get install postgresql to run the PostgreSQL half of the suite";
  }
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static int n = 0;  // names are cut to PostgreSQL's 63 bytes: keep them unique
  db_ = skinscan::testing::PgServer::shared().create_database(lower.substr(0, 50) + "_" +
                                                              std::to_string(++n));
}

void BackendTest::TearDown() { dir_.reset(); }

std::string BackendTest::raw(const std::string& sql) const {
  return pg() ? skinscan::testing::PgServer::sql(db_, sql) : raw_sql(db_, sql);
}

std::int64_t BackendTest::count(const std::string& table) const {
  return std::stoll(raw("SELECT count(*) FROM " + table));
}

}  // namespace skinscan::store::testing
