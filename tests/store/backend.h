// The store test suite runs on both backends: each TEST_P gets a fresh database -- a SQLite
// file in a TempDir, or a new database on the process's throwaway PostgreSQL server
// (support/pg_server.h). PostgreSQL cases are skipped, saying why, only when the server
// binaries are not installed (CI installs them, so there they run).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "store/store.h"
#include "support/paths.h"

namespace skinscan::store::testing {

enum class Backend { kSqlite, kPostgres };
inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "SQLite" : "PostgreSQL");
}

class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool pg() const { return GetParam() == Backend::kPostgres; }
  // The --db value of this test's database.
  const std::string& db() const { return db_; }
  // A new connection (Store) to this test's database, migrating it if needed.
  std::unique_ptr<Store> open() const { return open_store(db_); }
  // Runs SQL through a separate raw connection (as another process would); returns the
  // first column of the first row as text ("" when none).
  std::string raw(const std::string& sql) const;
  std::int64_t count(const std::string& table) const;
  // The per-test scratch directory (SQLite files, other files a test needs).
  const std::filesystem::path& dir() const { return dir_->path(); }

 private:
  std::unique_ptr<skinscan::testing::TempDir> dir_;
  std::string db_;
};

std::string backend_name(const ::testing::TestParamInfo<Backend>& info);

}  // namespace skinscan::store::testing

// Instantiates a TEST_P suite on SQLite and PostgreSQL.
#define SKINSCAN_STORE_BACKENDS(Suite)                                                        \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                                   \
                           ::testing::Values(::skinscan::store::testing::Backend::kSqlite,    \
                                             ::skinscan::store::testing::Backend::kPostgres), \
                           ::skinscan::store::testing::backend_name)
