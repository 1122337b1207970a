// Opening files: pragmas, migrations, refusing newer schemas and files that are not
// SkinScan databases.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/migrations.h"
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
  EXPECT_EQ(store.schema_version(), 2);
  EXPECT_EQ(store.path(), path);
  EXPECT_EQ(raw_sql(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_count(path, "schema_migrations"), 2);
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

// A file written before issue 11 (schema 1) with a screening that referred but was worded
// "No disease": migration 2 keeps every row, the notification rows and the id counter, and
// rewords that screening as inconclusive.
TEST(Schema, Version1FileIsMigratedKeepingRowsAndRewordingReferrals) {
  skinscan::testing::TempDir dir("schema_v1");
  const auto path = (dir / "s.db").string();
  const std::string screening =
      "INSERT INTO screenings VALUES (%d, 1764133262000, 'Ann', 'ann', '+14155550123', "
      "'14155550123', 'Dr B', '+14155550124', '" +
      std::string(64, 'a') + "', 'jpeg', 600, 450, 'mel', '%s', '%s', 0.76, 0.8, %d, '{}', 'm');";
  auto row = [&](int id, const char* decision, const char* words, int refer) {
    char buf[600];
    std::snprintf(buf, sizeof buf, screening.c_str(), id, decision, words, refer);
    return std::string(buf);
  };
  raw_sql(path, std::string("PRAGMA application_id = 1399542627;") +
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                    " applied_at INTEGER NOT NULL);" +
                    migration_sql(1) + "INSERT INTO schema_migrations VALUES (1, 0);" +
                    row(1, "no_disease", "No disease", 1) + row(2, "no_disease", "No disease", 0) +
                    row(7, "diagnosis", "Melanoma", 1) + "DELETE FROM screenings WHERE id = 7;" +
                    "INSERT INTO notifications (screening_id, recipient, to_number, status,"
                    " attempts, created_at, updated_at) VALUES"
                    " (1, 'patient', '+14155550123', 'delivered', 1, 0, 0),"
                    " (1, 'doctor', '+14155550124', 'read', 1, 0, 0);");
  Store store(path);
  EXPECT_EQ(store.schema_version(), 2);
  const auto first = store.get_screening(1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->decision, "inconclusive");
  EXPECT_EQ(first->finding, "Inconclusive \u2014 needs a dermatologist's review");
  EXPECT_TRUE(first->refer);
  ASSERT_EQ(first->notifications.size(), 2u);  // not cascaded away by the table rebuild
  EXPECT_EQ(store.get_screening(2)->decision, "no_disease");
  EXPECT_EQ(store.get_screening(2)->finding, "No disease");
  EXPECT_EQ(raw_sql(path, "PRAGMA foreign_key_check"), "");
  EXPECT_EQ(raw_sql(path,
                    "SELECT \"table\" || ':' || on_delete FROM"
                    " pragma_foreign_key_list('notifications')"),
            "screenings:CASCADE");
  // Ids are never reused: the next one follows the deleted 7.
  NewScreening s = testing::sample();
  EXPECT_EQ(store.create_screening(s, notify::Status::kNotConfigured).id, 8);
  // The new CHECK: no referral stored as no_disease, even past the store's own validation.
  EXPECT_NE(
      raw_sql(path, "SELECT sql FROM sqlite_schema WHERE name = 'screenings'").find("inconclusive"),
      std::string::npos);
}

TEST(Schema, ReopeningIsIdempotent) {
  skinscan::testing::TempDir dir("schema_idem");
  const auto path = (dir / "s.db").string();
  { Store a(path); }
  const auto schema_before = raw_sql(path, "SELECT group_concat(sql, ';') FROM sqlite_schema");
  { Store b(path); }
  Store c(path);
  EXPECT_EQ(c.schema_version(), 2);
  EXPECT_EQ(raw_count(path, "schema_migrations"), 2);
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
