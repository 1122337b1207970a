// Opening files: pragmas, migrations, refusing newer schemas and files that are not
// SkinScan databases.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/sample.h"
#include "store/store.h"
#include "support/paths.h"

namespace skinscan::store {
namespace {

using testing::raw_count;
using testing::raw_sql;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const std::string& path) {
  try {
    Store store(path);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

TEST(Schema, FreshFileIsMigratedToTheLatestVersionInWalMode) {
  skinscan::testing::TempDir dir("schema_fresh");
  const auto path = (dir / "s.db").string();
  Store store(path);
  EXPECT_EQ(store.schema_version(), 1);
  EXPECT_EQ(store.path(), path);
  EXPECT_EQ(raw_sql(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_count(path, "schema_migrations"), 1);
  EXPECT_EQ(raw_sql(path,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                    " AND name IN ('screenings_newest', 'notifications_due')"),
            "2");
  // Only the owner may read a file of names and phone numbers.
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Schema, NotificationsReferenceTheirScreeningWithCascade) {
  skinscan::testing::TempDir dir("schema_fk");
  const auto path = (dir / "s.db").string();
  Store store(path);
  const auto row = store.create_screening(testing::sample(), notify::Status::kPending);
  EXPECT_EQ(raw_sql(path,
                    "SELECT \"table\" || ':' || on_delete FROM"
                    " pragma_foreign_key_list('notifications')"),
            "screenings:CASCADE");
  EXPECT_EQ(row.notifications.size(), 2u);
}

TEST(Schema, ReopeningIsIdempotent) {
  skinscan::testing::TempDir dir("schema_idem");
  const auto path = (dir / "s.db").string();
  { Store a(path); }
  const auto schema_before = raw_sql(path, "SELECT group_concat(sql, ';') FROM sqlite_schema");
  { Store b(path); }
  Store c(path);
  EXPECT_EQ(c.schema_version(), 1);
  EXPECT_EQ(raw_count(path, "schema_migrations"), 1);
  EXPECT_EQ(raw_sql(path, "SELECT group_concat(sql, ';') FROM sqlite_schema"), schema_before);
}

TEST(Schema, NewerSchemaIsRefusedAndLeftUnchanged) {
  skinscan::testing::TempDir dir("schema_newer");
  const auto path = (dir / "s.db").string();
  { Store a(path); }
  raw_sql(path, "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
  const auto err = error_of(path);
  EXPECT_NE(err.find("schema version 99 is newer"), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_EQ(raw_sql(path, "SELECT max(version) FROM schema_migrations"), "99");
}

TEST(Schema, FileThatIsNotADatabaseIsRefused) {
  skinscan::testing::TempDir dir("schema_notdb");
  const auto path = dir / "notes.db";
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is a text file, not a database\n";
  skinscan::testing::write_text(path, text);
  const auto err = error_of(path.string());
  EXPECT_NE(err.find("not a SQLite database"), std::string::npos) << err;
  EXPECT_NE(err.find(path.string()), std::string::npos) << err;
  EXPECT_EQ(slurp(path), text);  // untouched
}

TEST(Schema, OtherApplicationsDatabaseIsRefused) {
  skinscan::testing::TempDir dir("schema_foreign");
  const auto path = (dir / "other.db").string();
  raw_sql(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
  const auto err = error_of(path);
  EXPECT_NE(err.find("not a SkinScan database"), std::string::npos) << err;
  EXPECT_EQ(raw_sql(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'screenings'"), "0");
}

TEST(Schema, MissingDirectoryGivesAClearError) {
  skinscan::testing::TempDir dir("schema_nodir");
  const auto path = (dir / "no" / "such" / "dir" / "s.db").string();
  const auto err = error_of(path);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("open"), std::string::npos) << err;
}

}  // namespace
}  // namespace skinscan::store
