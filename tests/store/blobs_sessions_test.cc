// Photos and heatmaps as content-addressed blobs (committed with their screening), and login
// sessions that survive restarts and are shared by every connection -- on both backends.
#include <gtest/gtest.h>

#include "store/backend.h"
#include "store/sample.h"
#include "store/validate.h"

namespace skinscan::store {
namespace {

using namespace std::chrono_literals;
using notify::Clock;
using notify::Status;
using testing::sample;

class Blobs : public testing::BackendTest {};
SKINSCAN_STORE_BACKENDS(Blobs);
class Sessions : public testing::BackendTest {};
SKINSCAN_STORE_BACKENDS(Sessions);

// Bytes with every value 0..255 (NUL included) and a valid hash.
Blob photo_blob(const std::string& salt = "") {
  std::string bytes = salt;
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>(i % 256);
  return {sha256_hex(bytes), "image/jpeg", bytes};
}

TEST_P(Blobs, PhotoIsStoredWithItsScreeningAndReadBackByteForByte) {
  const auto store = open();
  const Blob photo = photo_blob();
  auto s = sample();
  s.image_sha256 = photo.sha256;
  const auto row = store->create_screening(s, Status::kPending, photo);
  const auto got = store->get_blob(row.image_sha256);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, photo.bytes);
  EXPECT_EQ(got->media_type, "image/jpeg");
  EXPECT_EQ(got->sha256, photo.sha256);
  // Another instance (connection) reads the same photo.
  EXPECT_EQ(open()->get_blob(photo.sha256)->bytes, photo.bytes);
  // The same photo again: one blob, two screenings.
  store->create_screening(s, Status::kPending, photo);
  EXPECT_EQ(count("blobs"), 1);
  EXPECT_EQ(count("screenings"), 2);
  EXPECT_FALSE(store->get_blob(std::string(64, 'f')).has_value());
}

TEST_P(Blobs, AFailedScreeningLeavesNoPhotoBehind) {
  const auto store = open();
  const Blob photo = photo_blob("x");
  auto s = sample();
  s.image_sha256 = photo.sha256;
  s.result_json = "{not json";  // refused by the database inside the transaction
  EXPECT_THROW(store->create_screening(s, Status::kPending, photo), StoreError);
  EXPECT_EQ(count("blobs"), 0);
  EXPECT_EQ(count("screenings"), 0);
  EXPECT_EQ(count("notifications"), 0);
}

TEST_P(Blobs, HashesAreChecked) {
  const auto store = open();
  Blob photo = photo_blob();
  auto s = sample();  // image_sha256 is "aaa...": not this photo
  EXPECT_THROW(store->create_screening(s, Status::kPending, photo), StoreError);
  photo.bytes += "tampered";
  EXPECT_THROW(store->put_blob(photo), StoreError);
  EXPECT_THROW(store->put_blob(Blob{sha256_hex(""), "image/png", ""}), StoreError);
  EXPECT_EQ(count("blobs"), 0);
  EXPECT_EQ(count("screenings"), 0);
}

TEST_P(Blobs, HeatmapsAreKeptPerPhotoAndClass) {
  const auto store = open();
  const Blob photo = photo_blob();
  const Blob png{sha256_hex("png bytes"), "image/png", "png bytes"};
  EXPECT_FALSE(store->get_heatmap(photo.sha256, "mel").has_value());
  store->put_heatmap(photo.sha256, "mel", png);
  store->put_heatmap(photo.sha256, "mel", png);  // a second instance computed it too
  const auto got = open()->get_heatmap(photo.sha256, "mel");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, "png bytes");
  EXPECT_EQ(got->media_type, "image/png");
  EXPECT_FALSE(store->get_heatmap(photo.sha256, "nv").has_value());
  EXPECT_EQ(count("heatmaps"), 1);
}

TEST_P(Sessions, SurviveRestartsAndWorkOnEveryInstance) {
  const auto now = Clock::now();
  {
    const auto a = open();
    a->create_session("hash-1", now + 12h);
    EXPECT_TRUE(a->session_valid("hash-1", now));
  }
  const auto b = open();  // "restart", or another instance
  EXPECT_TRUE(b->session_valid("hash-1", now));
  EXPECT_FALSE(b->session_valid("hash-2", now));
  b->delete_session("hash-1");
  EXPECT_FALSE(open()->session_valid("hash-1", now));
}

TEST_P(Sessions, ExpiredSessionsAreRefusedAndRemoved) {
  const auto store = open();
  const auto now = Clock::now();
  store->create_session("old", now + 1h);
  EXPECT_TRUE(store->session_valid("old", now + 1h - 1ms));
  EXPECT_FALSE(store->session_valid("old", now + 1h));
  EXPECT_EQ(count("sessions"), 0);
  store->create_session("a", now - 1s);  // already expired: removed by the next login
  store->create_session("b", now + 1h);
  EXPECT_EQ(count("sessions"), 1);
}

}  // namespace
}  // namespace skinscan::store
