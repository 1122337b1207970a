// Opening databases: migrations on both backends (concurrent first opens, newer schemas and
// other applications' databases refused), SQLite's pragmas and file checks.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "store/backend.h"
#include "store/migrations.h"
#include "store/sample.h"
#include "store/sqlite_store.h"
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
    open_store(path);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

TEST(Schema, FreshFileIsMigratedToTheLatestVersionInWalMode) {
  skinscan::testing::TempDir dir("schema_fresh");
  const auto path = (dir / "s.db").string();
  SqliteStore store(path);
  EXPECT_EQ(store.schema_version(), 3);
  EXPECT_EQ(store.path(), path);
  EXPECT_EQ(store.backend(), "sqlite");
  EXPECT_EQ(raw_sql(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_count(path, "schema_migrations"), 3);
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
  SqliteStore store(path);
  const auto row = store.create_screening(testing::sample(), notify::Status::kPending);
  EXPECT_EQ(raw_sql(path,
                    "SELECT \"table\" || ':' || on_delete FROM"
                    " pragma_foreign_key_list('notifications')"),
            "screenings:CASCADE");
  EXPECT_EQ(row.notifications.size(), 2u);
}

class Migrations : public testing::BackendTest {
 protected:
  // Every table and index definition, to compare before and after.
  std::string schema() const {
    return raw(pg() ? "SELECT string_agg(tablename || ':' || indexname || ':' || indexdef, ';'"
                      " ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'"
                    : "SELECT group_concat(sql, ';') FROM sqlite_schema");
  }
};
SKINSCAN_STORE_BACKENDS(Migrations);

TEST_P(Migrations, FreshDatabaseIsMigratedToTheLatestVersion) {
  const auto store = open();
  EXPECT_EQ(store->schema_version(), 3);
  EXPECT_EQ(store->backend(), pg() ? "postgresql" : "sqlite");
  EXPECT_EQ(count("schema_migrations"), 3);
  EXPECT_TRUE(store->ready());
  for (const char* table : {"screenings", "notifications", "blobs", "heatmaps", "sessions"}) {
    EXPECT_EQ(count(table), 0) << table;
  }
}

TEST_P(Migrations, ReopeningIsIdempotent) {
  open();
  const auto schema_before = schema();
  const auto applied_before = raw("SELECT max(applied_at) FROM schema_migrations");
  open();
  const auto c = open();
  EXPECT_EQ(c->schema_version(), 3);
  EXPECT_EQ(count("schema_migrations"), 3);
  EXPECT_EQ(schema(), schema_before);
  EXPECT_EQ(raw("SELECT max(applied_at) FROM schema_migrations"), applied_before);
}

TEST_P(Migrations, InstancesStartingAtOnceMigrateOnce) {
  // Eight "instances" open the fresh database at the same moment: one migrates (PostgreSQL:
  // under the advisory lock; SQLite: inside BEGIN IMMEDIATE), the others find it current.
  constexpr int kInstances = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kInstances);
  std::vector<int> versions(kInstances, 0);
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      try {
        versions[i] = open()->schema_version();
      } catch (const StoreError& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(errors[i], "") << "instance " << i;
    EXPECT_EQ(versions[i], 3) << "instance " << i;
  }
  EXPECT_EQ(count("schema_migrations"), 3);
}

TEST_P(Migrations, NewerSchemaIsRefusedAndLeftUnchanged) {
  open();
  raw("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
  const auto err = error_of(db());
  EXPECT_NE(err.find("schema version 99 is newer"), std::string::npos) << err;
  EXPECT_NE(err.find(db()), std::string::npos) << err;
  EXPECT_EQ(raw("SELECT max(version) FROM schema_migrations"), "99");
  EXPECT_EQ(count("schema_migrations"), 4);
}

TEST_P(Migrations, AnotherApplicationsDatabaseIsRefused) {
  raw("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
  const auto err = error_of(db());
  EXPECT_NE(err.find("not a SkinScan database"), std::string::npos) << err;
  EXPECT_EQ(count("invoices"), 0);
  EXPECT_EQ(raw(pg() ? "SELECT count(*) FROM pg_tables WHERE tablename = 'screenings'"
                     : "SELECT count(*) FROM sqlite_schema WHERE name = 'screenings'"),
            "0");
}

TEST(Schema, Version1FilesAreUpgradedWithTheirRowsInFlightReclaimable) {
  skinscan::testing::TempDir dir("schema_v1");
  const auto path = (dir / "v1.db").string();
  {
    SqliteStore store(path);
    store.create_screening(testing::sample(), notify::Status::kPending);
    store.claim_due(notify::Clock::now(), 1, std::chrono::hours(1));
  }
  // Make it a version-1 file with a row left in `sending` by a crashed v1 sender.
  raw_sql(path,
          "DROP TABLE sessions; DROP TABLE heatmaps; DROP TABLE blobs;"
          " DROP INDEX notifications_lease; ALTER TABLE notifications DROP COLUMN lease_until;"
          " DELETE FROM schema_migrations WHERE version >= 2");
  SqliteStore store(path);
  EXPECT_EQ(store.schema_version(), 3);
  EXPECT_EQ(store.list_notifications(notify::Status::kSending).size(), 1u);
  EXPECT_EQ(store.claim_due(notify::Clock::now(), 10, std::chrono::hours(1)).size(), 2u)
      << "the v1 in-flight row is due at once, the pending one too";
}

// A file written before issue 11 (schema 1) with a screening that referred but was worded
// "No disease": migrations 2 and 3 keep every row, the notification rows and the id counter, and
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
  SqliteStore store(path);
  EXPECT_EQ(store.schema_version(), 3);
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

TEST(Schema, MissingDirectoryGivesAClearError) {
  skinscan::testing::TempDir dir("schema_nodir");
  const auto path = (dir / "no" / "such" / "dir" / "s.db").string();
  const auto err = error_of(path);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("open"), std::string::npos) << err;
}

}  // namespace
}  // namespace skinscan::store

namespace skinscan::store {
namespace {

TEST(DatabaseUrl, PicksTheBackendAndNeverShowsThePassword) {
  EXPECT_TRUE(is_postgresql_url("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgresql_url("postgres://u@h/db"));
  EXPECT_FALSE(is_postgresql_url("sqlite:/tmp/x.db"));
  EXPECT_FALSE(is_postgresql_url("postgresql.db"));
  // Nothing listens on port 1: the connection is refused at once.
  try {
    open_store("postgresql://clinic:s3cr3t-pw@127.0.0.1:1/skinscan?connect_timeout=2");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find("s3cr3t-pw"), std::string::npos) << msg;
    EXPECT_NE(msg.find("postgresql://clinic:***@127.0.0.1:1/skinscan"), std::string::npos) << msg;
  }
}

TEST(DatabaseUrl, SqlitePrefixNamesAFile) {
  skinscan::testing::TempDir dir("db_url_sqlite");
  const auto path = (dir / "s.db").string();
  const auto store = open_store("sqlite:" + path);
  EXPECT_EQ(store->backend(), "sqlite");
  EXPECT_EQ(store->path(), path);
  EXPECT_TRUE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace skinscan::store
