#include "memory_outbox.h"

#include <stdexcept>

namespace skinscan::notify::testing {

std::int64_t MemoryOutbox::add_screening(const Report& report, const std::string& patient_phone,
                                         const std::string& doctor_phone, Status initial,
                                         Clock::time_point created) {
  std::lock_guard lock(mu_);
  const std::int64_t sid = next_screening_++;
  for (const auto& [who, phone] : {std::pair{Recipient::kPatient, patient_phone},
                                   std::pair{Recipient::kDoctor, doctor_phone}}) {
    MemoryRow r;
    r.msg.id = static_cast<std::int64_t>(rows_.size()) + 1;
    r.msg.screening_id = sid;
    r.msg.recipient = who;
    r.msg.to = phone;
    r.msg.created_at = created;
    r.msg.report = report;
    r.status = initial;
    r.next_attempt = created;
    rows_.push_back(r);
  }
  return sid;
}

MemoryRow& MemoryOutbox::find(std::int64_t id) {
  if (id < 1 || id > static_cast<std::int64_t>(rows_.size())) throw std::out_of_range("row id");
  return rows_[static_cast<std::size_t>(id - 1)];
}

MemoryRow MemoryOutbox::row(std::int64_t id) const {
  std::lock_guard lock(mu_);
  return const_cast<MemoryOutbox*>(this)->find(id);
}

std::vector<MemoryRow> MemoryOutbox::rows() const {
  std::lock_guard lock(mu_);
  return rows_;
}

std::vector<RetryEvent> MemoryOutbox::retries() const {
  std::lock_guard lock(mu_);
  return retries_;
}

bool MemoryOutbox::settled() const {
  std::lock_guard lock(mu_);
  for (const auto& r : rows_) {
    if (r.status == Status::kPending || r.status == Status::kSending) return false;
  }
  return true;
}

std::vector<OutboxMessage> MemoryOutbox::claim_due(Clock::time_point now, int limit,
                                                   std::chrono::milliseconds lease) {
  std::lock_guard lock(mu_);
  std::vector<OutboxMessage> out;
  for (auto& r : rows_) {
    if (static_cast<int>(out.size()) >= limit) break;
    const bool due =
        (r.status == Status::kPending || r.status == Status::kSending) && r.next_attempt <= now;
    if (due) {
      r.status = Status::kSending;
      r.next_attempt = now + lease;
      ++r.msg.attempts;
      out.push_back(r.msg);
    }
  }
  return out;
}

std::optional<Clock::time_point> MemoryOutbox::next_due() {
  std::lock_guard lock(mu_);
  std::optional<Clock::time_point> due;
  for (const auto& r : rows_) {
    if ((r.status == Status::kPending || r.status == Status::kSending) &&
        (!due || r.next_attempt < *due)) {
      due = r.next_attempt;
    }
  }
  return due;
}

void MemoryOutbox::mark_accepted(std::int64_t id, const std::string& sid, Status status) {
  std::lock_guard lock(mu_);
  auto& r = find(id);
  r.sid = sid;
  r.status = status;
  r.error_code.clear();
  r.error_message.clear();
}

void MemoryOutbox::mark_retry(std::int64_t id, Clock::time_point next_attempt,
                              const std::string& reason) {
  std::lock_guard lock(mu_);
  auto& r = find(id);
  r.status = Status::kPending;
  r.next_attempt = next_attempt;
  r.error_message = reason;
  retries_.push_back({id, Clock::now(), next_attempt, reason});
}

void MemoryOutbox::mark_failed(std::int64_t id, const std::string& code,
                               const std::string& message) {
  std::lock_guard lock(mu_);
  auto& r = find(id);
  r.status = Status::kFailed;
  r.error_code = code;
  r.error_message = message;
}

bool MemoryOutbox::apply_callback(const std::string& sid, Status status,
                                  const std::string& error_code, const std::string& error_message) {
  std::lock_guard lock(mu_);
  for (auto& r : rows_) {
    if (r.sid != sid || sid.empty()) continue;
    if (advances(r.status, status)) {
      r.status = status;
      if (!error_code.empty()) r.error_code = error_code;
      if (!error_message.empty()) r.error_message = error_message;
    }
    return true;
  }
  return false;
}

int MemoryOutbox::activate_unconfigured(bool expire) {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto& r : rows_) {
    if (r.status != Status::kNotConfigured) continue;
    r.status = expire ? Status::kExpired : Status::kPending;
    r.next_attempt = Clock::now();
    ++n;
  }
  return n;
}

int MemoryOutbox::requeue_screening(std::int64_t screening_id) {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto& r : rows_) {
    if (r.msg.screening_id != screening_id) continue;
    r.status = Status::kPending;
    r.next_attempt = Clock::now();
    r.msg.attempts = 0;
    r.sid.clear();
    ++n;
  }
  return n;
}

}  // namespace skinscan::notify::testing
