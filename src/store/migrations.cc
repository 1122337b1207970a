#include "store/migrations.h"

#include <array>
#include <string>

#include "store/time_text.h"

namespace skinscan::store {
namespace {

// "SkSc": marks the file as SkinScan's in the SQLite header (PRAGMA application_id).
constexpr int kApplicationId = 0x536B5363;

// Migration 1: screenings and their notification rows. Times are unix milliseconds UTC.
constexpr const char* kV1 = R"sql(
CREATE TABLE screenings (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: references stay unique
  created_at          INTEGER NOT NULL,
  patient_name        TEXT NOT NULL CHECK (length(patient_name) > 0),
  patient_name_folded TEXT NOT NULL,  -- case-folded name, for search
  patient_phone       TEXT NOT NULL CHECK (patient_phone GLOB '+[1-9]*'
                                           AND substr(patient_phone, 2) NOT GLOB '*[^0-9]*'),
  patient_phone_digits TEXT NOT NULL,  -- E.164 without '+', for search
  doctor_name         TEXT NOT NULL CHECK (length(doctor_name) > 0),
  doctor_phone        TEXT NOT NULL CHECK (doctor_phone GLOB '+[1-9]*'
                                           AND substr(doctor_phone, 2) NOT GLOB '*[^0-9]*'),
  image_sha256        TEXT NOT NULL CHECK (length(image_sha256) = 64
                                           AND image_sha256 NOT GLOB '*[^0-9a-f]*'),
  image_format        TEXT NOT NULL CHECK (image_format IN ('jpeg', 'png', 'webp')),
  image_width         INTEGER NOT NULL CHECK (image_width > 0),
  image_height        INTEGER NOT NULL CHECK (image_height > 0),
  label               TEXT NOT NULL,
  decision            TEXT NOT NULL CHECK (decision IN ('diagnosis', 'no_disease', 'not_a_lesion')),
  finding             TEXT NOT NULL,
  confidence          REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  malignancy_risk     REAL NOT NULL CHECK (malignancy_risk BETWEEN 0 AND 1),
  refer               INTEGER NOT NULL CHECK (refer IN (0, 1)),
  result_json         TEXT NOT NULL CHECK (json_valid(result_json)),
  model_version       TEXT NOT NULL
);
-- Newest-first listing; also covers the search filter (name/phone keys are in the index),
-- so a substring search scans this index in order and stops after one page.
CREATE INDEX screenings_newest ON screenings (created_at DESC, id DESC,
                                              patient_name_folded, patient_phone_digits);
CREATE INDEX screenings_decision ON screenings (decision);

CREATE TABLE notifications (
  id              INTEGER PRIMARY KEY,
  screening_id    INTEGER NOT NULL REFERENCES screenings (id) ON DELETE CASCADE,
  recipient       TEXT NOT NULL CHECK (recipient IN ('patient', 'doctor')),
  to_number       TEXT NOT NULL CHECK (to_number GLOB '+[1-9]*'
                                       AND substr(to_number, 2) NOT GLOB '*[^0-9]*'),
  status          TEXT NOT NULL CHECK (status IN ('not_configured', 'pending', 'sending',
                                       'queued', 'sent', 'delivered', 'read', 'failed',
                                       'undelivered', 'expired')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  twilio_sid      TEXT UNIQUE,
  error_code      TEXT,
  error_message   TEXT,
  next_attempt_at INTEGER,  -- set while pending
  delivery_started_at INTEGER,  -- when the row last became pending (create, activate, requeue)
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (screening_id, recipient),
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
-- Claiming due rows: status = 'pending' AND next_attempt_at <= now, oldest first.
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
)sql";

// Migration 2: several senders (leases on claimed rows), photos and heatmaps in the
// database (content-addressed blobs), login sessions that survive restarts.
constexpr const char* kV2 = R"sql(
ALTER TABLE notifications ADD COLUMN lease_until INTEGER;  -- while sending: claim expiry
UPDATE notifications SET lease_until = 0 WHERE status = 'sending';  -- left by a crash: due
CREATE INDEX notifications_lease ON notifications (status, lease_until);

CREATE TABLE blobs (
  sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  media_type TEXT NOT NULL CHECK (length(media_type) > 0),
  size       INTEGER NOT NULL CHECK (size > 0),
  bytes      BLOB NOT NULL CHECK (length(bytes) = size),
  created_at INTEGER NOT NULL
);
CREATE TABLE heatmaps (
  image_sha256 TEXT NOT NULL,
  label        TEXT NOT NULL,
  blob_sha256  TEXT NOT NULL REFERENCES blobs (sha256),
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (image_sha256, label)
);
CREATE TABLE sessions (
  key_hash   TEXT PRIMARY KEY,  -- SHA-256 of the cookie; the cookie itself is never stored
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql";

// Migration 3 (issue 11): the decision `inconclusive` (below the threshold, not low risk,
// always refers). SQLite cannot change a CHECK in place: the table is rebuilt (create, copy,
// drop, rename; foreign keys are off while migrating, so the notification rows stay), the
// AUTOINCREMENT counter is kept, and stored rows that refer but were worded "No disease"
// under the old rule become `inconclusive` with the new words.
constexpr const char* kV3 = R"sql(
CREATE TABLE screenings_v2 (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at          INTEGER NOT NULL,
  patient_name        TEXT NOT NULL CHECK (length(patient_name) > 0),
  patient_name_folded TEXT NOT NULL,
  patient_phone       TEXT NOT NULL CHECK (patient_phone GLOB '+[1-9]*'
                                           AND substr(patient_phone, 2) NOT GLOB '*[^0-9]*'),
  patient_phone_digits TEXT NOT NULL,
  doctor_name         TEXT NOT NULL CHECK (length(doctor_name) > 0),
  doctor_phone        TEXT NOT NULL CHECK (doctor_phone GLOB '+[1-9]*'
                                           AND substr(doctor_phone, 2) NOT GLOB '*[^0-9]*'),
  image_sha256        TEXT NOT NULL CHECK (length(image_sha256) = 64
                                           AND image_sha256 NOT GLOB '*[^0-9a-f]*'),
  image_format        TEXT NOT NULL CHECK (image_format IN ('jpeg', 'png', 'webp')),
  image_width         INTEGER NOT NULL CHECK (image_width > 0),
  image_height        INTEGER NOT NULL CHECK (image_height > 0),
  label               TEXT NOT NULL,
  decision            TEXT NOT NULL CHECK (decision IN ('diagnosis', 'no_disease',
                                                        'inconclusive', 'not_a_lesion')),
  finding             TEXT NOT NULL,
  confidence          REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  malignancy_risk     REAL NOT NULL CHECK (malignancy_risk BETWEEN 0 AND 1),
  refer               INTEGER NOT NULL CHECK (refer IN (0, 1)),
  result_json         TEXT NOT NULL CHECK (json_valid(result_json)),
  model_version       TEXT NOT NULL,
  CHECK (NOT (decision = 'no_disease' AND refer = 1))  -- a referral is never "No disease"
);
INSERT INTO screenings_v2 SELECT id, created_at, patient_name, patient_name_folded,
  patient_phone, patient_phone_digits, doctor_name, doctor_phone, image_sha256, image_format,
  image_width, image_height, label,
  CASE WHEN decision = 'no_disease' AND refer = 1 THEN 'inconclusive' ELSE decision END,
  CASE WHEN decision = 'no_disease' AND refer = 1
       THEN 'Inconclusive ' || char(8212) || ' needs a dermatologist''s review' ELSE finding END,
  confidence, malignancy_risk, refer, result_json, model_version FROM screenings;
INSERT INTO sqlite_sequence (name, seq) SELECT 'screenings_v2', 0
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'screenings_v2');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'screenings'), 0))
  WHERE name = 'screenings_v2';
DROP TABLE screenings;
ALTER TABLE screenings_v2 RENAME TO screenings;
CREATE INDEX screenings_newest ON screenings (created_at DESC, id DESC,
                                              patient_name_folded, patient_phone_digits);
CREATE INDEX screenings_decision ON screenings (decision);
)sql";

constexpr std::array<const char*, 3> kMigrations{kV1, kV2, kV3};

int read_int(const DbRef& ref, const char* sql, const std::string& op) {
  Statement st(ref, sql, op);
  return st.step() && !st.is_null(0) ? static_cast<int>(st.int64(0)) : 0;
}

bool has_migrations_table(const DbRef& ref) {
  Statement st(ref,
               "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'",
               "read schema");
  return st.step();
}

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

const char* migration_sql(int version) {
  return kMigrations.at(static_cast<std::size_t>(version - 1));
}

int current_schema_version(const DbRef& ref) {
  if (!has_migrations_table(ref)) return 0;
  return read_int(ref, "SELECT max(version) FROM schema_migrations", "read schema version");
}

int migrate(const DbRef& ref) {
  Transaction tx(ref, Transaction::Kind::kWrite, "migrate schema");
  const int app_id = read_int(ref, "PRAGMA application_id", "read application_id");
  const int user_tables = read_int(
      ref, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      "read schema");
  if (app_id != kApplicationId &&
      (app_id != 0 || (user_tables > 0 && !has_migrations_table(ref)))) {
    throw StoreError("store " + *ref.path +
                     ": open: the file is a SQLite database of another application, not a "
                     "SkinScan database; choose another --db file");
  }
  const int current = current_schema_version(ref);
  const int latest = latest_schema_version();
  if (current > latest) {
    throw StoreError("store " + *ref.path + ": open: database schema version " +
                     std::to_string(current) + " is newer than this SkinScan build supports (" +
                     std::to_string(latest) +
                     "); upgrade SkinScan or use another --db file (the file was left unchanged)");
  }
  if (current == latest) return current;  // the transaction rolls back: nothing written
  exec(ref,
       "CREATE TABLE IF NOT EXISTS schema_migrations ("
       " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
       "create schema_migrations");
  exec(ref, "PRAGMA application_id = " + std::to_string(kApplicationId), "set application_id");
  for (int v = current + 1; v <= latest; ++v) {
    exec(ref, kMigrations[static_cast<std::size_t>(v - 1)], "apply migration " + std::to_string(v));
    Statement(ref, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
              "record migration " + std::to_string(v))
        .bind_int(1, v)
        .bind_int(2, now_unix_ms())
        .run();
  }
  tx.commit();
  return latest;
}

}  // namespace skinscan::store
