// skinscan migrate's copy: a SQLite clinic database (history, outbox, photos from blobs
// and from version-1 image files) into PostgreSQL, verified, all-or-nothing, rerunnable.
#include <gtest/gtest.h>

#include "store/copy.h"
#include "store/pg_store.h"
#include "store/sample.h"
#include "store/sqlite_store.h"
#include "store/validate.h"
#include "support/paths.h"
#include "support/pg_server.h"

namespace skinscan::store {
namespace {

using namespace std::chrono_literals;
using notify::Clock;
using notify::Status;
using skinscan::testing::PgServer;

class Copy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgServer::bin_dir()) GTEST_SKIP() << "PostgreSQL server binaries not found";
    static int n = 0;
    url_ = PgServer::shared().create_database("copy_" + std::to_string(++n));
  }
  skinscan::testing::TempDir dir_{"store_copy"};
  std::string url_;
};

Blob blob_of(const std::string& bytes) { return {sha256_hex(bytes), "image/jpeg", bytes}; }

TEST_F(Copy, CopiesHistoryOutboxAndPhotosKeepingIdsAndIsSafeToRerun) {
  const auto src = (dir_ / "clinic.db").string();
  const auto images = dir_ / "images";
  std::filesystem::create_directories(images);
  std::vector<ScreeningRow> made;
  {
    SqliteStore s(src);
    for (int i = 0; i < 5; ++i) {
      const Blob photo = blob_of("photo " + std::to_string(i) + std::string(1, '\0') + "end");
      auto in = testing::sample("Patient " + std::to_string(i) + " Zoë 😀");
      in.image_sha256 = photo.sha256;
      in.confidence = 0.1 * i + 0.0123456789;
      in.refer = i % 2 == 0;
      if (i < 3) {
        made.push_back(s.create_screening(in, Status::kPending, photo));  // blob (v2)
      } else {
        made.push_back(s.create_screening(in, Status::kNotConfigured));  // file (v1 style)
        skinscan::testing::write_text(images / (photo.sha256 + ".jpg"), photo.bytes);
      }
    }
    // Outbox states: one accepted, one in flight (left by a crash), the rest as they are.
    const auto claimed = s.claim_due(Clock::now() + 1s, 2, 1h);
    s.mark_accepted(claimed[0].id, "SM1", Status::kQueued);
  }
  const auto r = copy_sqlite_to_postgresql(src, url_, images);
  EXPECT_EQ(r.screenings, 5);
  EXPECT_EQ(r.screenings_added, 5);
  EXPECT_EQ(r.notifications, 10);
  EXPECT_EQ(r.notifications_added, 10);
  EXPECT_EQ(r.photos, 5);
  EXPECT_EQ(r.photos_added, 5);
  EXPECT_TRUE(r.missing_photos.empty());

  PgStore pg(url_);
  for (const auto& m : made) {
    const auto got = pg.get_screening(m.id);
    ASSERT_TRUE(got.has_value()) << m.id;
    EXPECT_EQ(got->reference, m.reference);
    EXPECT_EQ(got->patient_name, m.patient_name);
    EXPECT_EQ(got->created_at, m.created_at);
    EXPECT_DOUBLE_EQ(got->confidence, m.confidence);
    EXPECT_EQ(got->refer, m.refer);
    const auto photo = pg.get_blob(m.image_sha256);
    ASSERT_TRUE(photo.has_value()) << m.id;
    EXPECT_EQ(sha256_hex(photo->bytes), m.image_sha256);
  }
  EXPECT_EQ(pg.list_notifications(Status::kQueued).size(), 1u);
  EXPECT_EQ(pg.list_notifications(Status::kNotConfigured).size(), 4u);
  // The row left in flight by the old server is due at once on the new one.
  const auto due = pg.claim_due(Clock::now(), 100, 1min);
  EXPECT_EQ(due.size(), 5u);  // 1 in flight + 4 pending
  // New screenings continue after the copied ids.
  const auto next = pg.create_screening(testing::sample(), Status::kPending);
  EXPECT_GT(next.id, made.back().id);

  // Rerun: nothing added, nothing changed, still verified.
  const auto again = copy_sqlite_to_postgresql(src, url_, images);
  EXPECT_EQ(again.screenings_added, 0);
  EXPECT_EQ(again.notifications_added, 0);
  EXPECT_EQ(again.photos_added, 0);
  EXPECT_EQ(again.screenings_digest, r.screenings_digest);
  EXPECT_EQ(pg.list_screenings("", 1).total, 6);
}

TEST_F(Copy, ATargetHoldingOtherDataIsRefusedAndLeftUnchanged) {
  const auto src = (dir_ / "a.db").string();
  {
    SqliteStore s(src);
    s.create_screening(testing::sample("Source Person"), Status::kPending);
  }
  {
    PgStore pg(url_);
    pg.create_screening(testing::sample("Someone Else"), Status::kPending);  // id 1 taken
  }
  try {
    copy_sqlite_to_postgresql(src, url_, dir_ / "images");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("differ"), std::string::npos) << e.what();
  }
  PgStore pg(url_);
  const auto page = pg.list_screenings("", 1);
  ASSERT_EQ(page.total, 1);
  EXPECT_EQ(page.items[0].patient_name, "Someone Else");
}

TEST_F(Copy, MissingPhotosAreReportedNotInvented) {
  const auto src = (dir_ / "b.db").string();
  {
    SqliteStore s(src);
    s.create_screening(testing::sample(), Status::kPending);  // photo "aaa..." nowhere
  }
  const auto r = copy_sqlite_to_postgresql(src, url_, dir_ / "images");
  EXPECT_EQ(r.screenings_added, 1);
  ASSERT_EQ(r.missing_photos.size(), 1u);
  EXPECT_EQ(r.missing_photos[0], std::string(64, 'a'));
  EXPECT_FALSE(PgStore(url_).get_blob(std::string(64, 'a')).has_value());
}

}  // namespace
}  // namespace skinscan::store
