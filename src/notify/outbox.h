// The WhatsApp outbox as the notify stage sees it: the contract between the sender
// (notify/) and the storage that holds notification rows (store/ implements Outbox).
// Plain C++: no LibTorch, no SQLite here.
//
// Life of a notification row (status never moves backwards, see advances()):
//   not_configured --(credentials added, server restarts)--> pending
//   pending --claim--> sending --Twilio 201--> queued|sent|... (callbacks advance it)
//                               --retryable error--> pending (next_attempt_at later)
//                               --permanent error / deadline passed--> failed
//   queued -> sent -> delivered -> read;  any non-final -> failed | undelivered
// A row left in `sending` by a crash is claimable again once its lease expires (at-least-once
// delivery: a crash between Twilio's 201 and mark_accepted() can send one duplicate).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace skinscan::notify {

enum class Recipient { kPatient, kDoctor };
const char* recipient_code(Recipient r);  // "patient", "doctor"
std::optional<Recipient> parse_recipient(const std::string& s);

enum class Status {
  kNotConfigured,  // Twilio credentials absent: kept, never pretended sent
  kPending,        // waiting for (another) attempt
  kSending,        // claimed by a sender, request in flight
  kQueued,         // accepted by Twilio (201), not yet sent on
  kSent,
  kDelivered,
  kRead,
  kFailed,       // permanent error, or retries exhausted; error fields say why
  kUndelivered,  // Twilio could not deliver
  kExpired,      // not_configured rows expired by configuration
};
const char* status_code(Status s);  // "not_configured", "pending", ..., "expired"
std::optional<Status> parse_status(const std::string& s);
// True when a row may move from `from` to `to` (forward only; final states stay).
bool advances(Status from, Status to);
bool is_final(Status s);  // delivered? no: read, failed, undelivered, expired

using Clock = std::chrono::system_clock;

// What the WhatsApp report says; filled by the store from the screening row.
struct Report {
  std::string reference;  // screening reference shown to people, e.g. "SS-000042"
  std::string patient_name;
  std::string doctor_name;
  std::string finding;    // decision in words (screen/decision.h decision_words)
  std::string decision;   // diagnosis | no_disease | inconclusive | not_a_lesion
  std::string label;      // class code of the top class, e.g. "mel"
  double confidence = 0;  // calibrated probability of that class, 0..1
  bool refer = false;     // refer-to-dermatologist flag
  std::string date;       // ISO date of the screening (YYYY-MM-DD)
  std::string model_version;
};

struct OutboxMessage {
  std::int64_t id = 0;  // notification row id
  std::int64_t screening_id = 0;
  Recipient recipient = Recipient::kPatient;
  std::string to;  // E.164, e.g. "+447700900123" (no "whatsapp:" prefix)
  int attempts = 0;
  Clock::time_point created_at;
  Report report;
};

// Storage of notification rows. Implementations are thread-safe.
class Outbox {
 public:
  virtual ~Outbox() = default;
  // Atomically moves up to `limit` due rows to `sending`, incrementing attempts, leased to
  // the caller until now + lease. Due: pending with next_attempt_at <= now, or sending with
  // an expired lease (its sender died or hung: the row is reclaimed). Several senders may
  // claim at once; each row goes to one of them. A sender must finish (or give up) a row's
  // request before its lease ends.
  virtual std::vector<OutboxMessage> claim_due(Clock::time_point now, int limit,
                                               std::chrono::milliseconds lease) = 0;
  // When the next row falls due (earliest next_attempt_at of pending rows, or lease end of
  // sending rows), for the sender's sleep; nullopt when none.
  virtual std::optional<Clock::time_point> next_due() = 0;
  // Twilio accepted the message (201): store its sid and status (usually queued).
  virtual void mark_accepted(std::int64_t id, const std::string& sid, Status status) = 0;
  // Retryable failure: back to pending, due at `next_attempt`, reason recorded.
  virtual void mark_retry(std::int64_t id, Clock::time_point next_attempt,
                          const std::string& reason) = 0;
  // Permanent failure: error code (Twilio's, e.g. "21211", or ours, e.g. "deadline")
  // and message recorded.
  virtual void mark_failed(std::int64_t id, const std::string& code,
                           const std::string& message) = 0;
  // A status callback for message `sid`; applied only if advances(). Returns false when no
  // row has that sid.
  virtual bool apply_callback(const std::string& sid, Status status, const std::string& error_code,
                              const std::string& error_message) = 0;
  // At start with credentials: not_configured rows become pending (or expired when
  // `expire` is set). Returns the number of rows changed.
  virtual int activate_unconfigured(bool expire) = 0;
  // Operator resend: every row of the screening goes back to pending now (attempts reset).
  // Returns the number of rows; 0 if the screening does not exist.
  virtual int requeue_screening(std::int64_t screening_id) = 0;
};

}  // namespace skinscan::notify
