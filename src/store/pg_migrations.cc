#include "store/pg_migrations.h"

#include <array>
#include <string>

#include "store/time_text.h"

namespace skinscan::store {
namespace {

// "SkSc": the advisory lock key of SkinScan's migrations.
constexpr std::int64_t kMigrationLock = 0x536B5363;

// Migration 1: screenings and their notification rows. Times are unix milliseconds UTC.
constexpr const char* kV1 = R"sql(
CREATE TABLE screenings (
  id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
  created_at           BIGINT NOT NULL,
  patient_name         TEXT NOT NULL CHECK (length(patient_name) > 0),
  patient_name_folded  TEXT NOT NULL,
  patient_phone        TEXT NOT NULL CHECK (patient_phone ~ '^\+[1-9][0-9]*$'),
  patient_phone_digits TEXT NOT NULL,
  doctor_name          TEXT NOT NULL CHECK (length(doctor_name) > 0),
  doctor_phone         TEXT NOT NULL CHECK (doctor_phone ~ '^\+[1-9][0-9]*$'),
  image_sha256         TEXT NOT NULL CHECK (image_sha256 ~ '^[0-9a-f]{64}$'),
  image_format         TEXT NOT NULL CHECK (image_format IN ('jpeg', 'png', 'webp')),
  image_width          INTEGER NOT NULL CHECK (image_width > 0),
  image_height         INTEGER NOT NULL CHECK (image_height > 0),
  label                TEXT NOT NULL,
  decision             TEXT NOT NULL CHECK (decision IN ('diagnosis', 'no_disease', 'not_a_lesion')),
  finding              TEXT NOT NULL,
  confidence           DOUBLE PRECISION NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  malignancy_risk      DOUBLE PRECISION NOT NULL CHECK (malignancy_risk BETWEEN 0 AND 1),
  refer                BOOLEAN NOT NULL,
  result_json          TEXT NOT NULL CHECK (result_json::jsonb IS NOT NULL),
  model_version        TEXT NOT NULL
);
CREATE INDEX screenings_newest ON screenings (created_at DESC, id DESC);
CREATE INDEX screenings_decision ON screenings (decision);

CREATE TABLE notifications (
  id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  screening_id        BIGINT NOT NULL REFERENCES screenings (id) ON DELETE CASCADE,
  recipient           TEXT NOT NULL CHECK (recipient IN ('patient', 'doctor')),
  to_number           TEXT NOT NULL CHECK (to_number ~ '^\+[1-9][0-9]*$'),
  status              TEXT NOT NULL CHECK (status IN ('not_configured', 'pending', 'sending',
                                           'queued', 'sent', 'delivered', 'read', 'failed',
                                           'undelivered', 'expired')),
  attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  twilio_sid          TEXT UNIQUE,
  error_code          TEXT,
  error_message       TEXT,
  next_attempt_at     BIGINT,
  delivery_started_at BIGINT,
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL,
  UNIQUE (screening_id, recipient),
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
)sql";

// Migration 2: leases for several senders, blobs (photos, heatmaps), login sessions.
constexpr const char* kV2 = R"sql(
ALTER TABLE notifications ADD COLUMN lease_until BIGINT;
UPDATE notifications SET lease_until = 0 WHERE status = 'sending';
CREATE INDEX notifications_lease ON notifications (status, lease_until);

CREATE TABLE blobs (
  sha256     TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  media_type TEXT NOT NULL CHECK (length(media_type) > 0),
  size       BIGINT NOT NULL CHECK (size > 0),
  bytes      BYTEA NOT NULL CHECK (length(bytes) = size),
  created_at BIGINT NOT NULL
);
CREATE TABLE heatmaps (
  image_sha256 TEXT NOT NULL,
  label        TEXT NOT NULL,
  blob_sha256  TEXT NOT NULL REFERENCES blobs (sha256),
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (image_sha256, label)
);
CREATE TABLE sessions (
  key_hash   TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
)sql";

// Migration 3 (issue 11): the decision `inconclusive` (below the threshold, not low risk,
// always refers), and a referral is never `no_disease`; stored rows that referred but were
// worded "No disease" under the old rule become `inconclusive` with the new words.
constexpr const char* kV3 = R"sql(
ALTER TABLE screenings DROP CONSTRAINT screenings_decision_check;
UPDATE screenings SET decision = 'inconclusive',
  finding = 'Inconclusive ' || chr(8212) || ' needs a dermatologist''s review'
  WHERE decision = 'no_disease' AND refer;
ALTER TABLE screenings ADD CONSTRAINT screenings_decision_check
  CHECK (decision IN ('diagnosis', 'no_disease', 'inconclusive', 'not_a_lesion'));
ALTER TABLE screenings ADD CONSTRAINT screenings_referral_never_no_disease
  CHECK (NOT (decision = 'no_disease' AND refer));
)sql";

constexpr std::array<const char*, 3> kMigrations{kV1, kV2, kV3};

bool has_migrations_table(PgConn& c) {
  return !c.exec("SELECT to_regclass('schema_migrations')", {}, "read schema").is_null(0, 0);
}

}  // namespace

int pg_latest_schema_version() { return static_cast<int>(kMigrations.size()); }

int pg_schema_version(PgConn& c) {
  if (!has_migrations_table(c)) return 0;
  const auto r = c.exec("SELECT max(version) FROM schema_migrations", {}, "read schema version");
  return r.is_null(0, 0) ? 0 : static_cast<int>(r.int64(0, 0));
}

int pg_migrate(PgConn& c) {
  PgTransaction tx(c, "migrate schema");
  c.exec("SELECT pg_advisory_xact_lock($1)", {pg_int(kMigrationLock)}, "migrate schema (lock)");
  const bool ours = has_migrations_table(c);
  if (!ours) {
    const auto tables = c.exec("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                               {}, "read schema");
    if (tables.int64(0, 0) > 0) {
      throw StoreError("store " + c.label() +
                       ": open: the database holds tables of another application, not a "
                       "SkinScan database; choose another database");
    }
  }
  const int current = ours ? pg_schema_version(c) : 0;
  const int latest = pg_latest_schema_version();
  if (current > latest) {
    throw StoreError("store " + c.label() + ": open: database schema version " +
                     std::to_string(current) + " is newer than this SkinScan build supports (" +
                     std::to_string(latest) +
                     "); upgrade SkinScan or use another database (it was left unchanged)");
  }
  if (current == latest) return current;  // rolls back: nothing written
  if (!ours) {
    c.exec_script(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        "create schema_migrations");
  }
  for (int v = current + 1; v <= latest; ++v) {
    c.exec_script(kMigrations[static_cast<std::size_t>(v - 1)],
                  "apply migration " + std::to_string(v));
    c.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
           {pg_int(v), pg_int(now_unix_ms())}, "record migration " + std::to_string(v));
  }
  tx.commit();
  return latest;
}

}  // namespace skinscan::store
