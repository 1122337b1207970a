// SkinScan's database: screenings and their WhatsApp notification rows, in SQLite
// (WAL journal, foreign keys on, versioned migrations applied at open).
//
// Contracts:
//  - create_screening() writes the screening and one notification row per recipient in ONE
//    transaction: either all rows exist afterwards or none.
//  - Every method is thread-safe (one connection guarded by a mutex, busy timeout set), so
//    the web workers and the notify sender share one Store.
//  - Secrets are never stored; phone numbers are stored normalised (E.164).
//  - Errors throw StoreError with a message naming the database file and the operation.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/error.h"

#include "notify/outbox.h"

struct sqlite3;

namespace skinscan::store {

// The database refused or failed (ErrorCode kStore).
class StoreError : public Error {
 public:
  explicit StoreError(const std::string& message) : Error(ErrorCode::kStore, message) {}
};

struct NotificationRow {
  std::int64_t id = 0;
  std::int64_t screening_id = 0;
  notify::Recipient recipient = notify::Recipient::kPatient;
  std::string to;  // E.164
  notify::Status status = notify::Status::kPending;
  int attempts = 0;
  std::string twilio_sid;
  std::string error_code, error_message;  // last failure reason (also for retries)
  std::string next_attempt_at;            // ISO 8601 UTC, empty when not pending
  std::string created_at, updated_at;     // ISO 8601 UTC
};

struct NewScreening {
  std::string patient_name, patient_phone;  // phone in E.164
  std::string doctor_name, doctor_phone;
  std::string image_sha256;  // content hash = stored file name (without extension)
  std::string image_format;  // jpeg | png | webp
  int image_width = 0, image_height = 0;
  std::string label;     // class code of the top class
  std::string decision;  // diagnosis | no_disease | inconclusive | not_a_lesion
  std::string finding;   // decision in words
  double confidence = 0;
  double malignancy_risk = 0;
  bool refer = false;
  std::string result_json;  // the engine's full JSON result
  std::string model_version;
};

struct ScreeningRow : NewScreening {
  std::int64_t id = 0;
  std::string reference;                       // "SS-" + zero-padded id, e.g. "SS-000042"
  std::string created_at;                      // ISO 8601 UTC
  std::vector<NotificationRow> notifications;  // patient first, then doctor
};

struct Page {
  std::vector<ScreeningRow> items;  // newest first
  std::int64_t total = 0;           // matching rows in all pages
  int page = 1, page_size = 20;
};

struct Counts {  // for /metrics
  std::vector<std::pair<std::string, std::int64_t>> screenings_by_decision;
  std::vector<std::pair<std::string, std::int64_t>> notifications_by_status;
};

// Filters of the history list beside the text query; empty / nullopt: no filter.
struct ListFilter {
  std::string decision;       // diagnosis | no_disease | inconclusive | not_a_lesion
  std::optional<bool> refer;  // only referred (true) or only not referred (false)
};

// The screening id a reference names: "SS-000008", "ss-8", "SS000008" -> 8; nullopt else.
std::optional<std::int64_t> id_of_reference(const std::string& query);

class Store final : public notify::Outbox {
 public:
  // Opens (creating if needed) the database file and applies pending migrations.
  explicit Store(const std::string& path);
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const;
  const std::string& path() const { return path_; }

  // `initial` is the status of both notification rows: pending when Twilio is configured,
  // not_configured otherwise. A `not_a_lesion` screening gets NO notification rows (nothing
  // is ever sent about a photo that is not a lesion). Returns the complete row.
  // Validates first and throws StoreError naming the field (never echoing its value):
  // names 1-100 code points of valid UTF-8; phones E.164 ("+" and 2-15 digits);
  // image_sha256 64 lower-case hex digits; image_format jpeg|png|webp; width, height > 0;
  // decision diagnosis|no_disease|inconclusive|not_a_lesion, and never no_disease with
  // refer; confidence, malignancy_risk in [0, 1] (float
  // rounding up to 1e-4 outside is clamped);
  // result_json valid JSON; initial pending|not_configured.
  ScreeningRow create_screening(const NewScreening& s, notify::Status initial);
  std::optional<ScreeningRow> get_screening(std::int64_t id);
  // `query` (trimmed) matches patient name (case-insensitive substring: ASCII, Latin-1,
  // Latin Extended-A, Greek and Cyrillic letters fold; other scripts and emoji match
  // exactly) or, when it holds only digits and + - ( ) . space, the patient's phone (its
  // digits a substring of the E.164 digits). Empty matches everything. Newest first
  // (created_at, then id, descending). page < 1 reads as 1; page_size is clamped to 1..100.
  // A query that is a reference (id_of_reference) also matches that screening.
  Page list_screenings(const std::string& query, int page, int page_size = 20,
                       const ListFilter& filter = {});
  std::vector<NotificationRow> list_notifications(std::optional<notify::Status> status);
  Counts counts();

  // notify::Outbox. claim_due() returns rows in `sending` first (include_in_flight), then
  // pending rows by next_attempt_at; OutboxMessage::created_at is when the row's current
  // delivery began (screening creation, activate_unconfigured() or requeue_screening()),
  // so a sender's retry deadline counts from there. mark_retry() only moves a row that is
  // sending or pending, mark_failed() any non-final row, mark_accepted() records the sid
  // always and the status only if advances(); rows that vanished are ignored. A sid already
  // used by another row makes mark_accepted() throw StoreError (twilio_sid is UNIQUE).
  std::vector<notify::OutboxMessage> claim_due(notify::Clock::time_point now, int limit,
                                               bool include_in_flight) override;
  std::optional<notify::Clock::time_point> next_due() override;
  void mark_accepted(std::int64_t id, const std::string& sid, notify::Status status) override;
  void mark_retry(std::int64_t id, notify::Clock::time_point next_attempt,
                  const std::string& reason) override;
  void mark_failed(std::int64_t id, const std::string& code, const std::string& message) override;
  bool apply_callback(const std::string& sid, notify::Status status, const std::string& error_code,
                      const std::string& error_message) override;
  int activate_unconfigured(bool expire) override;
  int requeue_screening(std::int64_t screening_id) override;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace skinscan::store
