#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>

#include "store/migrations.h"
#include "store/name_fold.h"
#include "store/screening_rows.h"
#include "store/sqlite_db.h"
#include "store/time_text.h"
#include "store/validate.h"

namespace skinscan::store {
namespace {

// How long a statement waits for another connection's lock before failing with "database
// is locked". Writes are short (one screening: three INSERTs), so 5 s is generous.
constexpr int kBusyTimeoutMs = 5000;

bool is_memory(const std::string& path) { return path.empty() || path == ":memory:"; }

// Creates the file readable by its owner only (it holds names and phone numbers); SQLite
// gives the -wal and -shm files the same permissions. An existing file is left as it is.
void create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path) : path_(path) {
  if (!is_memory(path_)) create_private_file(path_);
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  const DbRef ref{db_, &path_};
  try {
    if (rc != SQLITE_OK) fail(ref, "open", rc);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // The first statement reads the header: a file that is not a database fails here.
    std::string mode;
    {
      Statement journal(ref, "PRAGMA journal_mode = WAL", "open (enable WAL)");
      if (journal.step()) mode = journal.text(0);
    }
    if (mode != "wal" && !is_memory(path_)) {
      throw StoreError("store " + path_ + ": open: cannot use the WAL journal (got '" + mode +
                       "'); put the database on a local file system");
    }
    // FULL: every commit is on disk before it returns, so a screening the clinic was shown
    // survives a power cut too; costs one fsync of the WAL per commit.
    exec(ref, "PRAGMA synchronous = FULL", "open (synchronous)");
    // Foreign keys are enabled after migrating: a migration that rebuilds a parent table
    // (drop + rename, migration 3) must not cascade into its child rows.
    migrate(ref);
    exec(ref, "PRAGMA foreign_keys = ON", "open (foreign keys)");
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteStore::~SqliteStore() { sqlite3_close_v2(db_); }

int SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  return current_schema_version({db_, &path_});
}

bool SqliteStore::ready() {
  try {
    std::lock_guard lock(mu_);
    Statement st({db_, &path_}, "SELECT 1", "ready");
    return st.step();
  } catch (const StoreError&) {
    return false;
  }
}

namespace {

void insert_blob(const DbRef& ref, const Blob& b, std::int64_t now, const std::string& op) {
  Statement(ref,
            "INSERT INTO blobs (sha256, media_type, size, bytes, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            op)
      .bind_text(1, b.sha256)
      .bind_text(2, b.media_type)
      .bind_int(3, static_cast<std::int64_t>(b.bytes.size()))
      .bind_blob(4, b.bytes)
      .bind_int(5, now)
      .run();
}

std::optional<Blob> read_blob(const DbRef& ref, const std::string& sha256, const std::string& op) {
  Statement st(ref, "SELECT sha256, media_type, bytes FROM blobs WHERE sha256 = ?", op);
  st.bind_text(1, sha256);
  if (!st.step()) return std::nullopt;
  return Blob{st.text(0), st.text(1), st.blob(2)};
}

}  // namespace

ScreeningRow SqliteStore::create_screening(const NewScreening& s, notify::Status initial,
                                           const std::optional<Blob>& photo) {
  check_new_screening(s, initial, path_);
  if (photo) check_photo(s, *photo, path_);
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  const std::int64_t now = now_unix_ms();
  Transaction tx(ref, Transaction::Kind::kWrite, "create screening");
  if (photo) insert_blob(ref, *photo, now, "create screening (photo)");
  Statement ins(ref,
                "INSERT INTO screenings (created_at, patient_name, patient_name_folded,"
                " patient_phone, patient_phone_digits, doctor_name, doctor_phone, image_sha256,"
                " image_format, image_width, image_height, label, decision, finding, confidence,"
                " malignancy_risk, refer, result_json, model_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "create screening");
  ins.bind_int(1, now)
      .bind_text(2, s.patient_name)
      .bind_text(3, fold_case(s.patient_name))
      .bind_text(4, s.patient_phone)
      .bind_text(5, digits_only(s.patient_phone))
      .bind_text(6, s.doctor_name)
      .bind_text(7, s.doctor_phone)
      .bind_text(8, s.image_sha256)
      .bind_text(9, s.image_format)
      .bind_int(10, s.image_width)
      .bind_int(11, s.image_height)
      .bind_text(12, s.label)
      .bind_text(13, s.decision)
      .bind_text(14, s.finding)
      .bind_real(15, std::clamp(s.confidence, 0.0, 1.0))
      .bind_real(16, std::clamp(s.malignancy_risk, 0.0, 1.0))
      .bind_int(17, s.refer ? 1 : 0)
      .bind_text(18, s.result_json)
      .bind_text(19, s.model_version)
      .run();
  const std::int64_t id = sqlite3_last_insert_rowid(db_);
  Statement note(ref,
                 "INSERT INTO notifications (screening_id, recipient, to_number, status,"
                 " attempts, next_attempt_at, delivery_started_at, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, 0, ?5, ?5, ?6, ?6)",
                 "create screening (notification row)");
  const bool pending = initial == notify::Status::kPending;
  for (const auto& [who, to] : {std::pair{notify::Recipient::kPatient, &s.patient_phone},
                                std::pair{notify::Recipient::kDoctor, &s.doctor_phone}}) {
    if (s.decision == "not_a_lesion") break;  // no report about a photo that is not a lesion
    note.reset();
    note.bind_int(1, id)
        .bind_text(2, notify::recipient_code(who))
        .bind_text(3, *to)
        .bind_text(4, notify::status_code(initial))
        .bind_opt_int(5, pending ? std::optional<std::int64_t>(now) : std::nullopt)
        .bind_int(6, now)
        .run();
  }
  auto row = load_screening(ref, id);
  tx.commit();
  return std::move(*row);
}

std::optional<ScreeningRow> SqliteStore::get_screening(std::int64_t id) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Transaction tx(ref, Transaction::Kind::kRead, "get screening");
  auto row = load_screening(ref, id);
  tx.commit();
  return row;
}

Page SqliteStore::list_screenings(const std::string& query, int page, int page_size,
                                  const ListFilter& filter) {
  const ListQuery q = list_query(query, page, page_size, filter);
  const auto& [folded, digits] = q.keys;
  const std::int64_t ref_id = q.ref_id, refer = q.refer;
  Page out;
  out.page = q.page;
  out.page_size = q.page_size;
  constexpr const char* kWhere =
      " WHERE (?1 = '' OR instr(patient_name_folded, ?1) > 0"
      " OR (?2 <> '' AND instr(patient_phone_digits, ?2) > 0) OR id = ?5)"
      " AND (?6 = '' OR decision = ?6) AND (?7 < 0 OR refer = ?7)";

  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Transaction tx(ref, Transaction::Kind::kRead, "list screenings");
  Statement count(ref, (std::string("SELECT count(*) FROM screenings") + kWhere).c_str(),
                  "list screenings (count)");
  count.bind_text(1, folded).bind_text(2, digits).bind_int(5, ref_id);
  count.bind_text(6, filter.decision).bind_int(7, refer);
  out.total = count.step() ? count.int64(0) : 0;
  Statement rows(ref,
                 (std::string("SELECT ") + kScreeningColumns + " FROM screenings" + kWhere +
                  " ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4")
                     .c_str(),
                 "list screenings");
  rows.bind_text(1, folded)
      .bind_text(2, digits)
      .bind_int(3, out.page_size)
      .bind_int(4, static_cast<std::int64_t>(out.page - 1) * out.page_size)
      .bind_int(5, ref_id)
      .bind_text(6, filter.decision)
      .bind_int(7, refer);
  NotificationReader notes(ref);
  while (rows.step()) {
    out.items.push_back(read_screening(rows));
    out.items.back().notifications = notes.of_screening(out.items.back().id);
  }
  tx.commit();
  return out;
}

std::vector<NotificationRow> SqliteStore::list_notifications(std::optional<notify::Status> status) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  return load_notifications(
      ref, status ? std::optional<std::string>(notify::status_code(*status)) : std::nullopt);
}

Counts SqliteStore::counts() {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Counts out;
  Transaction tx(ref, Transaction::Kind::kRead, "counts");
  Statement by_decision(
      ref, "SELECT decision, count(*) FROM screenings GROUP BY decision ORDER BY decision",
      "counts (screenings)");
  while (by_decision.step()) {
    out.screenings_by_decision.emplace_back(by_decision.text(0), by_decision.int64(1));
  }
  Statement by_status(ref,
                      "SELECT status, count(*) FROM notifications GROUP BY status ORDER BY status",
                      "counts (notifications)");
  while (by_status.step()) {
    out.notifications_by_status.emplace_back(by_status.text(0), by_status.int64(1));
  }
  tx.commit();
  return out;
}

void SqliteStore::put_blob(const Blob& blob) {
  check_blob(blob, path_);
  std::lock_guard lock(mu_);
  insert_blob({db_, &path_}, blob, now_unix_ms(), "put blob");
}

std::optional<Blob> SqliteStore::get_blob(const std::string& sha256) {
  std::lock_guard lock(mu_);
  return read_blob({db_, &path_}, sha256, "get blob");
}

void SqliteStore::put_heatmap(const std::string& image_sha256, const std::string& label,
                              const Blob& png) {
  check_blob(png, path_);
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  const std::int64_t now = now_unix_ms();
  Transaction tx(ref, Transaction::Kind::kWrite, "put heatmap");
  insert_blob(ref, png, now, "put heatmap");
  Statement(ref,
            "INSERT INTO heatmaps (image_sha256, label, blob_sha256, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (image_sha256, label) DO NOTHING",
            "put heatmap")
      .bind_text(1, image_sha256)
      .bind_text(2, label)
      .bind_text(3, png.sha256)
      .bind_int(4, now)
      .run();
  tx.commit();
}

std::optional<Blob> SqliteStore::get_heatmap(const std::string& image_sha256,
                                             const std::string& label) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Statement st(ref,
               "SELECT b.sha256, b.media_type, b.bytes FROM heatmaps h"
               " JOIN blobs b ON b.sha256 = h.blob_sha256"
               " WHERE h.image_sha256 = ? AND h.label = ?",
               "get heatmap");
  st.bind_text(1, image_sha256).bind_text(2, label);
  if (!st.step()) return std::nullopt;
  return Blob{st.text(0), st.text(1), st.blob(2)};
}

void SqliteStore::create_session(const std::string& key_hash, notify::Clock::time_point expires) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  const std::int64_t now = now_unix_ms();
  Transaction tx(ref, Transaction::Kind::kWrite, "create session");
  Statement(ref, "DELETE FROM sessions WHERE expires_at <= ?", "create session (expire old)")
      .bind_int(1, now)
      .run();
  Statement(ref,
            "INSERT INTO sessions (key_hash, created_at, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key_hash) DO UPDATE SET expires_at = excluded.expires_at",
            "create session")
      .bind_text(1, key_hash)
      .bind_int(2, now)
      .bind_int(3, to_unix_ms(expires))
      .run();
  tx.commit();
}

bool SqliteStore::session_valid(const std::string& key_hash, notify::Clock::time_point now) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Statement st(ref, "SELECT expires_at FROM sessions WHERE key_hash = ?", "check session");
  st.bind_text(1, key_hash);
  if (!st.step()) return false;
  if (st.int64(0) > to_unix_ms(now)) return true;
  st.reset();
  Statement(ref, "DELETE FROM sessions WHERE key_hash = ?", "expire session")
      .bind_text(1, key_hash)
      .run();
  return false;
}

void SqliteStore::delete_session(const std::string& key_hash) {
  std::lock_guard lock(mu_);
  Statement({db_, &path_}, "DELETE FROM sessions WHERE key_hash = ?", "delete session")
      .bind_text(1, key_hash)
      .run();
}

}  // namespace skinscan::store
