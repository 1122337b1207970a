// An in-memory notify::Outbox with the store's semantics (claiming, forward-only callbacks,
// activation, requeue), recording every retry so tests can check backoff and reasons.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "notify/outbox.h"

namespace skinscan::notify::testing {

struct MemoryRow {
  OutboxMessage msg;
  Status status = Status::kPending;
  Clock::time_point next_attempt{};  // while sending: the end of the lease
  std::string sid, error_code, error_message;
};

struct RetryEvent {
  std::int64_t id;
  Clock::time_point at, next;
  std::string reason;
};

class MemoryOutbox final : public Outbox {
 public:
  // Adds the two rows of one screening (patient, then doctor); returns the screening id.
  std::int64_t add_screening(const Report& report, const std::string& patient_phone,
                             const std::string& doctor_phone, Status initial = Status::kPending,
                             Clock::time_point created = Clock::now());
  MemoryRow row(std::int64_t id) const;
  std::vector<MemoryRow> rows() const;
  std::vector<RetryEvent> retries() const;
  // True when no row is pending or sending.
  bool settled() const;

  std::vector<OutboxMessage> claim_due(Clock::time_point now, int limit,
                                       std::chrono::milliseconds lease) override;
  std::optional<Clock::time_point> next_due() override;
  void mark_accepted(std::int64_t id, const std::string& sid, Status status) override;
  void mark_retry(std::int64_t id, Clock::time_point next_attempt,
                  const std::string& reason) override;
  void mark_failed(std::int64_t id, const std::string& code, const std::string& message) override;
  bool apply_callback(const std::string& sid, Status status, const std::string& error_code,
                      const std::string& error_message) override;
  int activate_unconfigured(bool expire) override;
  int requeue_screening(std::int64_t screening_id) override;

 private:
  MemoryRow& find(std::int64_t id);
  mutable std::mutex mu_;
  std::vector<MemoryRow> rows_;
  std::vector<RetryEvent> retries_;
  std::int64_t next_screening_ = 1;
};

}  // namespace skinscan::notify::testing
