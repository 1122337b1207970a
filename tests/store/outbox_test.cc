// Store as notify::Outbox: claiming, retries, failures, callbacks that only move forward,
// activation of not_configured rows, operator requeue.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "store/backend.h"
#include "store/sample.h"
#include "store/store.h"
#include "support/paths.h"

namespace skinscan::store {
namespace {

using namespace std::chrono_literals;
using notify::Clock;
using notify::Recipient;
using notify::Status;
using testing::sample;

// A sender's lease in these tests: long enough that claimed rows stay claimed.
constexpr std::chrono::milliseconds kLease = 1h;

class OutboxTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (!IsSkipped()) store_ = open();
  }

  NotificationRow row(std::int64_t id) {
    for (const auto& n : store_->list_notifications(std::nullopt)) {
      if (n.id == id) return n;
    }
    ADD_FAILURE() << "no notification " << id;
    return {};
  }

  std::unique_ptr<Store> store_;
};
SKINSCAN_STORE_BACKENDS(OutboxTest);

TEST_P(OutboxTest, ClaimsDueRowsOnceAndFillsTheReport) {
  auto s = sample("Zoë 😀 Ñúñez");
  s.refer = true;
  const auto made = store_->create_screening(s, Status::kPending);
  const auto now = Clock::now() + 1s;
  const auto claimed = store_->claim_due(now, 10, kLease);
  ASSERT_EQ(claimed.size(), 2u);
  std::set<Recipient> who;
  for (const auto& m : claimed) {
    who.insert(m.recipient);
    EXPECT_EQ(m.screening_id, made.id);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.to, m.recipient == Recipient::kPatient ? s.patient_phone : s.doctor_phone);
    EXPECT_EQ(m.report.reference, made.reference);
    EXPECT_EQ(m.report.patient_name, "Zoë 😀 Ñúñez");
    EXPECT_EQ(m.report.doctor_name, s.doctor_name);
    EXPECT_EQ(m.report.finding, s.finding);
    EXPECT_EQ(m.report.decision, s.decision);
    EXPECT_DOUBLE_EQ(m.report.confidence, s.confidence);
    EXPECT_TRUE(m.report.refer);
    EXPECT_EQ(m.report.date, made.created_at.substr(0, 10));
    EXPECT_EQ(m.report.model_version, s.model_version);
    EXPECT_LE(Clock::now() - m.created_at, 1min);
    const auto r = row(m.id);
    EXPECT_EQ(r.status, Status::kSending);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_TRUE(r.next_attempt_at.empty());
  }
  EXPECT_EQ(who.size(), 2u);
  EXPECT_TRUE(store_->claim_due(now, 10, kLease).empty());  // claimed rows are not due
  // Due again only if the sender dies: when the lease ends (stored in whole milliseconds).
  EXPECT_EQ(store_->next_due(), std::chrono::floor<std::chrono::milliseconds>(now + kLease));
}

TEST_P(OutboxTest, ClaimRespectsTimeLimitAndStatus) {
  store_->create_screening(sample(), Status::kPending);
  store_->create_screening(sample(), Status::kNotConfigured);
  EXPECT_TRUE(store_->claim_due(Clock::now() - 1h, 10, kLease).empty());  // not yet due
  EXPECT_TRUE(store_->claim_due(Clock::now() + 1s, 0, kLease).empty());
  EXPECT_EQ(store_->claim_due(Clock::now() + 1s, 1, kLease).size(), 1u);
  EXPECT_EQ(store_->claim_due(Clock::now() + 1s, 10, kLease).size(), 1u);    // the other pending
  EXPECT_TRUE(store_->claim_due(Clock::now() + 1s, 10, kLease).empty());     // all leased
  EXPECT_EQ(store_->list_notifications(Status::kNotConfigured).size(), 2u);  // never claimed
}

TEST_P(OutboxTest, RowsOfACrashedSenderAreReclaimedWhenTheLeaseEnds) {
  const auto t0 = Clock::now() + 1s;
  {
    const auto before = open();
    before->create_screening(sample(), Status::kPending);
    ASSERT_EQ(before->claim_due(t0, 10, kLease).size(), 2u);
  }  // "crash": rows left in sending
  const auto after = open();
  EXPECT_TRUE(after->claim_due(t0 + kLease - 1ms, 10, kLease).empty()) << "still leased";
  EXPECT_EQ(after->next_due(), std::chrono::floor<std::chrono::milliseconds>(t0 + kLease))
      << "the sender wakes when the lease ends";
  const auto again = after->claim_due(t0 + kLease, 10, kLease);
  ASSERT_EQ(again.size(), 2u);
  for (const auto& m : again) EXPECT_EQ(m.attempts, 2);
  EXPECT_TRUE(after->claim_due(t0 + kLease, 10, kLease).empty()) << "leased again";
}

TEST_P(OutboxTest, RetryMakesTheRowDueAgainLater) {
  store_->create_screening(sample(), Status::kPending);
  const auto t0 = Clock::now() + 1s;
  const auto claimed = store_->claim_due(t0, 1, kLease);
  ASSERT_EQ(claimed.size(), 1u);
  const auto id = claimed[0].id;
  const auto later = t0 + 60s;
  store_->mark_retry(id, later, "HTTP 503 from Twilio");
  auto r = row(id);
  EXPECT_EQ(r.status, Status::kPending);
  EXPECT_EQ(r.error_message, "HTTP 503 from Twilio");
  EXPECT_FALSE(r.next_attempt_at.empty());
  // The other row (never claimed) is due now; the retried one at `later`.
  const auto other = store_->claim_due(t0, 10, kLease);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(other[0].id, id);
  const auto next = store_->next_due();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*next - later).count(), 0);
  EXPECT_TRUE(store_->claim_due(later - 1ms, 10, kLease).empty());
  const auto retried = store_->claim_due(later, 10, kLease);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].id, id);
  EXPECT_EQ(retried[0].attempts, 2);
}

TEST_P(OutboxTest, MarkFailedRecordsTheReasonAndIsFinal) {
  store_->create_screening(sample(), Status::kPending);
  const auto m = store_->claim_due(Clock::now() + 1s, 1, kLease).at(0);
  store_->mark_failed(m.id, "21211", "The 'To' number is not a valid phone number.");
  auto r = row(m.id);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_code, "21211");
  EXPECT_EQ(r.error_message, "The 'To' number is not a valid phone number.");
  store_->mark_retry(m.id, Clock::now(), "late retry");  // ignored: failed is final
  store_->mark_failed(m.id, "deadline", "other");        // ignored: already failed
  r = row(m.id);
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.error_code, "21211");
  EXPECT_EQ(store_->list_notifications(Status::kFailed).size(), 1u);
}

TEST_P(OutboxTest, CallbacksOnlyMoveForward) {
  store_->create_screening(sample(), Status::kPending);
  const auto claimed = store_->claim_due(Clock::now() + 1s, 10, kLease);
  ASSERT_EQ(claimed.size(), 2u);
  const auto a = claimed[0].id, b = claimed[1].id;
  store_->mark_accepted(a, "SMaaaa", Status::kQueued);
  store_->mark_accepted(b, "SMbbbb", Status::kQueued);
  EXPECT_EQ(row(a).twilio_sid, "SMaaaa");
  EXPECT_EQ(row(a).status, Status::kQueued);

  EXPECT_TRUE(store_->apply_callback("SMaaaa", Status::kDelivered, "", ""));
  EXPECT_EQ(row(a).status, Status::kDelivered);
  EXPECT_TRUE(store_->apply_callback("SMaaaa", Status::kSent, "", ""));  // late, out of order
  EXPECT_EQ(row(a).status, Status::kDelivered);
  EXPECT_TRUE(store_->apply_callback("SMaaaa", Status::kRead, "", ""));
  EXPECT_EQ(row(a).status, Status::kRead);
  EXPECT_TRUE(store_->apply_callback("SMaaaa", Status::kFailed, "30008", "Unknown"));
  EXPECT_EQ(row(a).status, Status::kRead);  // read is final
  EXPECT_TRUE(row(a).error_code.empty());

  EXPECT_TRUE(store_->apply_callback("SMbbbb", Status::kUndelivered, "63016", "Outside window"));
  EXPECT_EQ(row(b).status, Status::kUndelivered);
  EXPECT_EQ(row(b).error_code, "63016");
  EXPECT_EQ(row(b).error_message, "Outside window");
  EXPECT_TRUE(store_->apply_callback("SMbbbb", Status::kDelivered, "", ""));
  EXPECT_EQ(row(b).status, Status::kUndelivered);

  EXPECT_FALSE(store_->apply_callback("SMnope", Status::kDelivered, "", ""));
  EXPECT_FALSE(store_->apply_callback("", Status::kDelivered, "", ""));
}

TEST_P(OutboxTest, AnSidBelongsToOneRow) {
  store_->create_screening(sample(), Status::kPending);
  const auto claimed = store_->claim_due(Clock::now() + 1s, 10, kLease);
  store_->mark_accepted(claimed[0].id, "SMsame", Status::kQueued);
  EXPECT_THROW(store_->mark_accepted(claimed[1].id, "SMsame", Status::kQueued), StoreError);
  EXPECT_EQ(row(claimed[1].id).status, Status::kSending);
}

TEST_P(OutboxTest, ActivateUnconfiguredMakesRowsPending) {
  store_->create_screening(sample(), Status::kNotConfigured);
  store_->create_screening(sample(), Status::kPending);
  EXPECT_EQ(store_->claim_due(Clock::now() + 1s, 10, kLease).size(), 2u);
  EXPECT_EQ(store_->activate_unconfigured(false), 2);
  EXPECT_EQ(store_->activate_unconfigured(false), 0);
  EXPECT_EQ(store_->list_notifications(Status::kPending).size(), 2u);
  EXPECT_EQ(store_->claim_due(Clock::now() + 1s, 10, kLease).size(), 2u);
}

TEST_P(OutboxTest, DeliveryClockStartsWhenARowBecomesPending) {
  const auto made = store_->create_screening(sample(), Status::kNotConfigured);
  // Pretend the rows were created a day ago, before credentials were added.
  raw("UPDATE notifications SET created_at = created_at - 86400000,"
      " updated_at = updated_at - 86400000");
  const auto before = Clock::now() - 1s;
  ASSERT_EQ(store_->activate_unconfigured(false), 2);
  auto claimed = store_->claim_due(Clock::now() + 1s, 10, kLease);
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& m : claimed) EXPECT_GE(m.created_at, before);
  store_->mark_failed(claimed[0].id, "deadline", "gave up");
  const auto requeued_at = Clock::now() - 1s;
  ASSERT_EQ(store_->requeue_screening(made.id), 2);
  claimed = store_->claim_due(Clock::now() + 1s, 10, kLease);
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& m : claimed) {
    EXPECT_GE(m.created_at, requeued_at);
    EXPECT_EQ(m.attempts, 1);
  }
}

TEST_P(OutboxTest, ActivateUnconfiguredCanExpireThem) {
  store_->create_screening(sample(), Status::kNotConfigured);
  EXPECT_EQ(store_->activate_unconfigured(true), 2);
  EXPECT_EQ(store_->list_notifications(Status::kExpired).size(), 2u);
  EXPECT_TRUE(store_->claim_due(Clock::now() + 1s, 10, kLease).empty());
  EXPECT_FALSE(store_->next_due().has_value());
}

TEST_P(OutboxTest, RequeueScreeningResetsEveryRow) {
  const auto made = store_->create_screening(sample(), Status::kPending);
  const auto claimed = store_->claim_due(Clock::now() + 1s, 10, kLease);
  store_->mark_failed(claimed[0].id, "21211", "bad number");
  store_->mark_accepted(claimed[1].id, "SMold", Status::kQueued);
  EXPECT_EQ(store_->requeue_screening(made.id), 2);
  const auto after = store_->get_screening(made.id);
  ASSERT_TRUE(after.has_value());
  for (const auto& n : after->notifications) {
    EXPECT_EQ(n.status, Status::kPending);
    EXPECT_EQ(n.attempts, 0);
    EXPECT_TRUE(n.twilio_sid.empty());
    EXPECT_TRUE(n.error_code.empty());
  }
  EXPECT_FALSE(store_->apply_callback("SMold", Status::kDelivered, "", ""));  // old message
  EXPECT_EQ(store_->claim_due(Clock::now() + 1s, 10, kLease).size(), 2u);
  EXPECT_EQ(store_->requeue_screening(made.id + 100), 0);
}

TEST_P(OutboxTest, CountsFollowStatuses) {
  store_->create_screening(sample(), Status::kPending);
  const auto claimed = store_->claim_due(Clock::now() + 1s, 1, kLease);
  store_->mark_accepted(claimed[0].id, "SM1", Status::kQueued);
  using P = std::vector<std::pair<std::string, std::int64_t>>;
  EXPECT_EQ(store_->counts().notifications_by_status, (P{{"pending", 1}, {"queued", 1}}));
}

TEST_P(OutboxTest, TwoConnectionsNeverClaimTheSameRow) {
  const auto a_ptr = open(), b_ptr = open();
  Store &a = *a_ptr, &b = *b_ptr;
  constexpr int kScreenings = 30;
  for (int i = 0; i < kScreenings; ++i) a.create_screening(sample(), Status::kPending);
  std::mutex mu;
  std::vector<std::int64_t> all;
  auto worker = [&](Store& s) {
    for (;;) {
      const auto got = s.claim_due(Clock::now() + 1s, 3, kLease);
      if (got.empty()) return;
      std::lock_guard lock(mu);
      for (const auto& m : got) all.push_back(m.id);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back(worker, std::ref(a));
    threads.emplace_back(worker, std::ref(b));
  }
  for (auto& t : threads) t.join();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(2 * kScreenings));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a row was claimed twice";
}

}  // namespace
}  // namespace skinscan::store
