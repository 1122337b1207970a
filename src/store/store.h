// SkinScan's database: screenings, their WhatsApp notification rows, photos and heatmaps,
// login sessions -- in SQLite (one file, the default) or PostgreSQL (several instances),
// with versioned migrations applied at open.
//
// Contracts:
//  - create_screening() writes the screening, its photo and one notification row per
//    recipient in ONE transaction: either all rows exist afterwards or none.
//  - Every method is thread-safe, so the web workers and the notify sender share one Store.
//  - Secrets are never stored; phone numbers are stored normalised (E.164).
//  - Errors throw StoreError with a message naming the database file and the operation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/error.h"

#include "notify/outbox.h"

namespace skinscan::store {

// The database refused or failed (ErrorCode kStore), or cannot be reached now (kUnavailable:
// a PostgreSQL server restarting or down; the request may be retried, nothing was stored).
class StoreError : public Error {
 public:
  explicit StoreError(const std::string& message, ErrorCode code = ErrorCode::kStore)
      : Error(code, message) {}
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
  std::string decision;  // diagnosis | no_disease | not_a_lesion
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

// One stored file (a photo or a heatmap), addressed by the SHA-256 of its bytes.
struct Blob {
  std::string sha256;      // 64 lower-case hex digits of SHA-256(bytes)
  std::string media_type;  // e.g. image/jpeg, image/png
  std::string bytes;
};

// Filters of the history list beside the text query; empty / nullopt: no filter (issue 11).
struct ListFilter {
  std::string decision;       // diagnosis | no_disease | inconclusive | not_a_lesion
  std::optional<bool> refer;  // only referred (true) or only not referred (false)
};

// The screening id a reference names: "SS-000008", "ss-8", "SS000008" -> 8; nullopt else.
std::optional<std::int64_t> id_of_reference(const std::string& query);

// The database as every stage sees it. Two backends implement it with the same behaviour
// (the store test suite runs against both): SqliteStore (one file, the default) and PgStore
// (PostgreSQL, for several instances sharing one database). open_store() picks by the --db
// value.
class Store : public notify::Outbox {
 public:
  ~Store() override = default;

  virtual int schema_version() = 0;
  // The database as named to people: the file path, or the PostgreSQL URL without password.
  virtual const std::string& path() const = 0;
  // "sqlite" or "postgresql".
  virtual std::string backend() const = 0;
  // A cheap round trip to the database; false when it cannot be reached (e.g. PostgreSQL
  // restarting). Never throws.
  virtual bool ready() = 0;

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
  // `photo`, when given, must hash to s.image_sha256; it is stored in the blob table in the
  // SAME transaction as the screening (an existing identical blob is kept), so a screening
  // never lacks its photo and a failed screening leaves no photo behind.
  virtual ScreeningRow create_screening(const NewScreening& s, notify::Status initial,
                                        const std::optional<Blob>& photo = std::nullopt) = 0;
  virtual std::optional<ScreeningRow> get_screening(std::int64_t id) = 0;
  // `query` (trimmed) matches patient name (case-insensitive substring: ASCII, Latin-1,
  // Latin Extended-A, Greek and Cyrillic letters fold; other scripts and emoji match
  // exactly) or, when it holds only digits and + - ( ) . space, the patient's phone (its
  // digits a substring of the E.164 digits). Empty matches everything. Newest first
  // (created_at, then id, descending). page < 1 reads as 1; page_size is clamped to 1..100.
  // A query that is a reference (id_of_reference) also matches that screening; `filter`
  // narrows by decision and refer flag.
  virtual Page list_screenings(const std::string& query, int page, int page_size = 20,
                               const ListFilter& filter = {}) = 0;
  virtual std::vector<NotificationRow> list_notifications(std::optional<notify::Status> status) = 0;
  virtual Counts counts() = 0;

  // Blobs: content-addressed, immutable. put_blob() checks the hash (StoreError otherwise)
  // and is idempotent.
  virtual void put_blob(const Blob& blob) = 0;
  virtual std::optional<Blob> get_blob(const std::string& sha256) = 0;
  // A heatmap of photo `image_sha256` for class `label`, kept as a blob.
  virtual void put_heatmap(const std::string& image_sha256, const std::string& label,
                           const Blob& png) = 0;
  virtual std::optional<Blob> get_heatmap(const std::string& image_sha256,
                                          const std::string& label) = 0;

  // Login sessions, keyed by a hash of the cookie (never the cookie itself), so they
  // survive restarts and work on every instance. session_valid() is false for unknown or
  // expired ones (and removes expired sessions).
  virtual void create_session(const std::string& key_hash, notify::Clock::time_point expires) = 0;
  virtual bool session_valid(const std::string& key_hash, notify::Clock::time_point now) = 0;
  virtual void delete_session(const std::string& key_hash) = 0;

  // notify::Outbox. claim_due() takes due rows -- pending with next_attempt_at <= now, and
  // rows in `sending` whose lease ran out (their sender died) -- oldest in-flight first, sets
  // them `sending` with lease_until = now + lease and attempts + 1. Several senders (threads,
  // processes, instances) may claim at once: each row goes to one of them (SQLite: one
  // write transaction; PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED).
  // OutboxMessage::created_at is when the row's current delivery began (screening creation,
  // activate_unconfigured() or requeue_screening()), so a sender's retry deadline counts
  // from there. mark_retry() only moves a row that is sending or pending, mark_failed() any
  // non-final row, mark_accepted() records the sid always and the status only if
  // advances(); rows that vanished are ignored. A sid already used by another row makes
  // mark_accepted() throw StoreError (twilio_sid is UNIQUE).
};

// Opens a store by its --db value: "postgresql://..." or "postgres://..." (a libpq URI) is
// PostgreSQL; "sqlite:PATH" or any other value is a SQLite file. Applies pending
// migrations; throws StoreError (newer schema, unreachable server, ...).
std::unique_ptr<Store> open_store(const std::string& db);
// True when `db` names a PostgreSQL database.
bool is_postgresql_url(const std::string& db);

}  // namespace skinscan::store
