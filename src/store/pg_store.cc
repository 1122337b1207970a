#include "store/pg_store.h"

#include <algorithm>
#include <tuple>

#include "store/name_fold.h"
#include "store/pg_migrations.h"
#include "store/screening_rows.h"
#include "store/time_text.h"
#include "store/validate.h"

namespace skinscan::store {
namespace {

constexpr const char* kScreeningCols =
    "id, created_at, patient_name, patient_phone, doctor_name, doctor_phone, image_sha256,"
    " image_format, image_width, image_height, label, decision, finding, confidence,"
    " malignancy_risk, refer, result_json, model_version";

constexpr const char* kNotificationCols =
    "id, screening_id, recipient, to_number, status, attempts, twilio_sid, error_code,"
    " error_message, next_attempt_at, created_at, updated_at";

ScreeningRow screening_at(const PgResult& r, int i) {
  ScreeningRow s;
  s.id = r.int64(i, 0);
  s.reference = reference_for(s.id);
  s.created_at = iso_utc(r.int64(i, 1));
  s.patient_name = r.text(i, 2);
  s.patient_phone = r.text(i, 3);
  s.doctor_name = r.text(i, 4);
  s.doctor_phone = r.text(i, 5);
  s.image_sha256 = r.text(i, 6);
  s.image_format = r.text(i, 7);
  s.image_width = static_cast<int>(r.int64(i, 8));
  s.image_height = static_cast<int>(r.int64(i, 9));
  s.label = r.text(i, 10);
  s.decision = r.text(i, 11);
  s.finding = r.text(i, 12);
  s.confidence = r.real(i, 13);
  s.malignancy_risk = r.real(i, 14);
  s.refer = r.boolean(i, 15);
  s.result_json = r.text(i, 16);
  s.model_version = r.text(i, 17);
  return s;
}

NotificationRow notification_at(const PgResult& r, int i, const std::string& label) {
  NotificationRow n;
  n.id = r.int64(i, 0);
  n.screening_id = r.int64(i, 1);
  n.recipient = notify::parse_recipient(r.text(i, 2)).value_or(notify::Recipient::kPatient);
  n.to = r.text(i, 3);
  const auto status = notify::parse_status(r.text(i, 4));
  if (!status) {
    throw StoreError("store " + label + ": read notification " + std::to_string(n.id) +
                     ": unknown status");
  }
  n.status = *status;
  n.attempts = static_cast<int>(r.int64(i, 5));
  n.twilio_sid = r.text(i, 6);
  n.error_code = r.text(i, 7);
  n.error_message = r.text(i, 8);
  if (!r.is_null(i, 9)) n.next_attempt_at = iso_utc(r.int64(i, 9));
  n.created_at = iso_utc(r.int64(i, 10));
  n.updated_at = iso_utc(r.int64(i, 11));
  return n;
}

// Notification rows of the given screenings, patient first, attached to each.
void attach_notifications(PgConn& c, std::vector<ScreeningRow>& rows) {
  if (rows.empty()) return;
  std::string ids = "{";
  for (const auto& s : rows) ids += (ids.size() > 1 ? "," : "") + std::to_string(s.id);
  ids += "}";
  const auto r = c.exec(std::string("SELECT ") + kNotificationCols +
                            " FROM notifications WHERE screening_id = ANY($1::bigint[])"
                            " ORDER BY screening_id, recipient = 'doctor', id",
                        {pg_text(ids)}, "read notifications");
  for (int i = 0; i < r.rows(); ++i) {
    auto n = notification_at(r, i, c.label());
    for (auto& s : rows) {
      if (s.id == n.screening_id) s.notifications.push_back(std::move(n));
    }
  }
}

std::optional<ScreeningRow> load(PgConn& c, std::int64_t id) {
  const auto r = c.exec(std::string("SELECT ") + kScreeningCols + " FROM screenings WHERE id = $1",
                        {pg_int(id)}, "get screening");
  if (r.rows() == 0) return std::nullopt;
  std::vector<ScreeningRow> rows{screening_at(r, 0)};
  attach_notifications(c, rows);
  return std::move(rows[0]);
}

void insert_blob(PgConn& c, const Blob& b, std::int64_t now, const std::string& op) {
  c.exec(
      "INSERT INTO blobs (sha256, media_type, size, bytes, created_at)"
      " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
      {pg_text(b.sha256), pg_text(b.media_type), pg_int(static_cast<std::int64_t>(b.bytes.size())),
       pg_bytes(b.bytes), pg_int(now)},
      op);
}

}  // namespace

PgStore::PgStore(const std::string& url) : path_(redact_url(url)) {
  c_ = std::make_unique<PgConn>(url, path_);
  c_->exec_script("SET client_min_messages = warning", "open");
  pg_migrate(*c_);
}

PgStore::~PgStore() = default;

int PgStore::schema_version() {
  std::lock_guard lock(mu_);
  c_->ensure("read schema version");
  return pg_schema_version(*c_);
}

bool PgStore::ready() {
  std::lock_guard lock(mu_);
  try {
    c_->ensure("ready");
    c_->exec("SELECT 1", {}, "ready");
    return true;
  } catch (const StoreError&) {
    return false;
  }
}

ScreeningRow PgStore::create_screening(const NewScreening& s, notify::Status initial,
                                       const std::optional<Blob>& photo) {
  check_new_screening(s, initial, path_);
  if (photo) check_photo(s, *photo, path_);
  std::lock_guard lock(mu_);
  const std::int64_t now = now_unix_ms();
  PgTransaction tx(*c_, "create screening");
  if (photo) insert_blob(*c_, *photo, now, "create screening (photo)");
  const auto ins = c_->exec(
      "INSERT INTO screenings (created_at, patient_name, patient_name_folded,"
      " patient_phone, patient_phone_digits, doctor_name, doctor_phone, image_sha256,"
      " image_format, image_width, image_height, label, decision, finding, confidence,"
      " malignancy_risk, refer, result_json, model_version)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
      " $19) RETURNING id",
      {pg_int(now), pg_text(s.patient_name), pg_text(fold_case(s.patient_name)),
       pg_text(s.patient_phone), pg_text(digits_only(s.patient_phone)), pg_text(s.doctor_name),
       pg_text(s.doctor_phone), pg_text(s.image_sha256), pg_text(s.image_format),
       pg_int(s.image_width), pg_int(s.image_height), pg_text(s.label), pg_text(s.decision),
       pg_text(s.finding), pg_real(std::clamp(s.confidence, 0.0, 1.0)),
       pg_real(std::clamp(s.malignancy_risk, 0.0, 1.0)), pg_bool(s.refer), pg_text(s.result_json),
       pg_text(s.model_version)},
      "create screening");
  const std::int64_t id = ins.int64(0, 0);
  const bool pending = initial == notify::Status::kPending;
  for (const auto& [who, to] : {std::pair{notify::Recipient::kPatient, &s.patient_phone},
                                std::pair{notify::Recipient::kDoctor, &s.doctor_phone}}) {
    if (s.decision == "not_a_lesion") break;  // no report about a photo that is not a lesion
    c_->exec(
        "INSERT INTO notifications (screening_id, recipient, to_number, status, attempts,"
        " next_attempt_at, delivery_started_at, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, 0, $5, $5, $6, $6)",
        {pg_int(id), pg_text(notify::recipient_code(who)), pg_text(*to),
         pg_text(notify::status_code(initial)),
         pg_opt_int(pending ? std::optional<std::int64_t>(now) : std::nullopt), pg_int(now)},
        "create screening (notification row)");
  }
  auto row = load(*c_, id);
  tx.commit();
  return std::move(*row);
}

std::optional<ScreeningRow> PgStore::get_screening(std::int64_t id) {
  std::lock_guard lock(mu_);
  PgTransaction tx(*c_, "get screening", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  auto row = load(*c_, id);
  tx.commit();
  return row;
}

Page PgStore::list_screenings(const std::string& query, int page, int page_size,
                              const ListFilter& filter) {
  const ListQuery q = list_query(query, page, page_size, filter);
  const auto& [folded, digits] = q.keys;
  const std::int64_t ref_id = q.ref_id, refer = q.refer;
  Page out;
  out.page = q.page;
  out.page_size = q.page_size;
  // $1 name, $2 digits, then reference id, decision and refer flag from $first on.
  const auto where = [](int first) {
    const std::string id = "$" + std::to_string(first), d = "$" + std::to_string(first + 1),
                      r = "$" + std::to_string(first + 2);
    return " WHERE ($1 = '' OR strpos(patient_name_folded, $1) > 0"
           " OR ($2 <> '' AND strpos(patient_phone_digits, $2) > 0) OR id = " +
           id + "::bigint) AND (" + d + "::text = '' OR decision = " + d + "::text) AND (" + r +
           "::bigint < 0 OR refer = (" + r + "::bigint = 1))";
  };
  std::lock_guard lock(mu_);
  PgTransaction tx(*c_, "list screenings", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  out.total = c_->exec(std::string("SELECT count(*) FROM screenings") + where(3),
                       {pg_text(folded), pg_text(digits), pg_int(ref_id), pg_text(filter.decision),
                        pg_int(refer)},
                       "list screenings (count)")
                  .int64(0, 0);
  const auto r = c_->exec(std::string("SELECT ") + kScreeningCols + " FROM screenings" + where(5) +
                              " ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
                          {pg_text(folded), pg_text(digits), pg_int(out.page_size),
                           pg_int(static_cast<std::int64_t>(out.page - 1) * out.page_size),
                           pg_int(ref_id), pg_text(filter.decision), pg_int(refer)},
                          "list screenings");
  for (int i = 0; i < r.rows(); ++i) out.items.push_back(screening_at(r, i));
  attach_notifications(*c_, out.items);
  tx.commit();
  return out;
}

std::vector<NotificationRow> PgStore::list_notifications(std::optional<notify::Status> status) {
  std::lock_guard lock(mu_);
  c_->ensure("list notifications");
  const auto r =
      c_->exec(std::string("SELECT ") + kNotificationCols +
                   " FROM notifications WHERE ($1::text IS NULL OR status = $1)"
                   " ORDER BY screening_id, recipient = 'doctor', id",
               {status ? pg_text(notify::status_code(*status)) : PgParam{}}, "list notifications");
  std::vector<NotificationRow> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(notification_at(r, i, path_));
  return out;
}

Counts PgStore::counts() {
  std::lock_guard lock(mu_);
  Counts out;
  PgTransaction tx(*c_, "counts", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const auto d =
      c_->exec("SELECT decision, count(*) FROM screenings GROUP BY decision ORDER BY decision", {},
               "counts (screenings)");
  for (int i = 0; i < d.rows(); ++i)
    out.screenings_by_decision.emplace_back(d.text(i, 0), d.int64(i, 1));
  const auto n =
      c_->exec("SELECT status, count(*) FROM notifications GROUP BY status ORDER BY status", {},
               "counts (notifications)");
  for (int i = 0; i < n.rows(); ++i)
    out.notifications_by_status.emplace_back(n.text(i, 0), n.int64(i, 1));
  tx.commit();
  return out;
}

void PgStore::put_blob(const Blob& blob) {
  check_blob(blob, path_);
  std::lock_guard lock(mu_);
  c_->ensure("put blob");
  insert_blob(*c_, blob, now_unix_ms(), "put blob");
}

std::optional<Blob> PgStore::get_blob(const std::string& sha256) {
  std::lock_guard lock(mu_);
  c_->ensure("get blob");
  const auto r = c_->exec("SELECT sha256, media_type, bytes FROM blobs WHERE sha256 = $1",
                          {pg_text(sha256)}, "get blob");
  if (r.rows() == 0) return std::nullopt;
  return Blob{r.text(0, 0), r.text(0, 1), r.bytea(0, 2)};
}

void PgStore::put_heatmap(const std::string& image_sha256, const std::string& label,
                          const Blob& png) {
  check_blob(png, path_);
  std::lock_guard lock(mu_);
  const std::int64_t now = now_unix_ms();
  PgTransaction tx(*c_, "put heatmap");
  insert_blob(*c_, png, now, "put heatmap");
  c_->exec(
      "INSERT INTO heatmaps (image_sha256, label, blob_sha256, created_at)"
      " VALUES ($1, $2, $3, $4) ON CONFLICT (image_sha256, label) DO NOTHING",
      {pg_text(image_sha256), pg_text(label), pg_text(png.sha256), pg_int(now)}, "put heatmap");
  tx.commit();
}

std::optional<Blob> PgStore::get_heatmap(const std::string& image_sha256,
                                         const std::string& label) {
  std::lock_guard lock(mu_);
  c_->ensure("get heatmap");
  const auto r = c_->exec(
      "SELECT b.sha256, b.media_type, b.bytes FROM heatmaps h"
      " JOIN blobs b ON b.sha256 = h.blob_sha256 WHERE h.image_sha256 = $1 AND h.label = $2",
      {pg_text(image_sha256), pg_text(label)}, "get heatmap");
  if (r.rows() == 0) return std::nullopt;
  return Blob{r.text(0, 0), r.text(0, 1), r.bytea(0, 2)};
}

void PgStore::create_session(const std::string& key_hash, notify::Clock::time_point expires) {
  std::lock_guard lock(mu_);
  const std::int64_t now = now_unix_ms();
  PgTransaction tx(*c_, "create session");
  c_->exec("DELETE FROM sessions WHERE expires_at <= $1", {pg_int(now)},
           "create session (expire old)");
  c_->exec(
      "INSERT INTO sessions (key_hash, created_at, expires_at) VALUES ($1, $2, $3)"
      " ON CONFLICT (key_hash) DO UPDATE SET expires_at = excluded.expires_at",
      {pg_text(key_hash), pg_int(now), pg_int(to_unix_ms(expires))}, "create session");
  tx.commit();
}

bool PgStore::session_valid(const std::string& key_hash, notify::Clock::time_point now) {
  std::lock_guard lock(mu_);
  c_->ensure("check session");
  const auto r = c_->exec("SELECT expires_at FROM sessions WHERE key_hash = $1",
                          {pg_text(key_hash)}, "check session");
  if (r.rows() == 0) return false;
  if (r.int64(0, 0) > to_unix_ms(now)) return true;
  c_->exec("DELETE FROM sessions WHERE key_hash = $1", {pg_text(key_hash)}, "expire session");
  return false;
}

void PgStore::delete_session(const std::string& key_hash) {
  std::lock_guard lock(mu_);
  c_->ensure("delete session");
  c_->exec("DELETE FROM sessions WHERE key_hash = $1", {pg_text(key_hash)}, "delete session");
}

// ---- notify::Outbox ---------------------------------------------------------------------

std::vector<notify::OutboxMessage> PgStore::claim_due(notify::Clock::time_point now, int limit,
                                                      std::chrono::milliseconds lease) {
  std::vector<notify::OutboxMessage> out;
  if (limit <= 0) return out;
  const std::int64_t now_ms = to_unix_ms(now);
  std::lock_guard lock(mu_);
  c_->ensure("claim due notifications");
  // One statement: the due rows are locked (rows another sender holds are skipped, not
  // waited for) and moved to sending with our lease; autocommit makes it one transaction.
  const auto r = c_->exec(
      "WITH due AS ("
      " SELECT id, status AS old_status, coalesce(next_attempt_at, lease_until) AS due_at"
      " FROM notifications"
      " WHERE (status = 'pending' AND next_attempt_at <= $1)"
      " OR (status = 'sending' AND lease_until <= $1)"
      " ORDER BY status = 'sending' DESC, coalesce(next_attempt_at, lease_until), id"
      " LIMIT $2 FOR UPDATE SKIP LOCKED)"
      " UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1,"
      " next_attempt_at = NULL, lease_until = $3, updated_at = $1"
      " FROM due, screenings s WHERE n.id = due.id AND s.id = n.screening_id"
      " RETURNING n.id, n.screening_id, n.recipient, n.to_number, n.attempts,"
      " n.delivery_started_at, s.created_at, s.patient_name, s.doctor_name, s.finding,"
      " s.decision, s.confidence, s.refer, s.model_version, due.old_status = 'sending', due.due_at,"
      " s.label",
      {pg_int(now_ms), pg_int(limit), pg_int(now_ms + lease.count())}, "claim due notifications");
  std::vector<std::tuple<bool, std::int64_t, std::int64_t>> order;  // in flight, due, index
  for (int i = 0; i < r.rows(); ++i) {
    notify::OutboxMessage m;
    m.id = r.int64(i, 0);
    m.screening_id = r.int64(i, 1);
    m.recipient = notify::parse_recipient(r.text(i, 2)).value_or(notify::Recipient::kPatient);
    m.to = r.text(i, 3);
    m.attempts = static_cast<int>(r.int64(i, 4));
    m.created_at = from_unix_ms(r.is_null(i, 5) ? r.int64(i, 6) : r.int64(i, 5));
    m.report.reference = reference_for(m.screening_id);
    m.report.patient_name = r.text(i, 7);
    m.report.doctor_name = r.text(i, 8);
    m.report.finding = r.text(i, 9);
    m.report.decision = r.text(i, 10);
    m.report.confidence = r.real(i, 11);
    m.report.refer = r.boolean(i, 12);
    m.report.date = iso_date(r.int64(i, 6));
    m.report.model_version = r.text(i, 13);
    m.report.label = r.text(i, 16);
    out.push_back(std::move(m));
  }
  // RETURNING has no order: in-flight rows first, then by due time, then id.
  std::vector<std::size_t> idx(out.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const int ia = static_cast<int>(a), ib = static_cast<int>(b);
    return std::make_tuple(!r.boolean(ia, 14), r.int64(ia, 15), out[a].id) <
           std::make_tuple(!r.boolean(ib, 14), r.int64(ib, 15), out[b].id);
  });
  std::vector<notify::OutboxMessage> sorted;
  for (auto i : idx) sorted.push_back(std::move(out[i]));
  return sorted;
}

std::optional<notify::Clock::time_point> PgStore::next_due() {
  std::lock_guard lock(mu_);
  c_->ensure("next due notification");
  const auto r = c_->exec(
      "SELECT least((SELECT min(next_attempt_at) FROM notifications WHERE status = 'pending'),"
      " (SELECT min(lease_until) FROM notifications WHERE status = 'sending'))",
      {}, "next due notification");
  if (r.is_null(0, 0)) return std::nullopt;
  return from_unix_ms(r.int64(0, 0));
}

void PgStore::mark_accepted(std::int64_t id, const std::string& sid, notify::Status status) {
  std::lock_guard lock(mu_);
  PgTransaction tx(*c_, "mark notification accepted");
  const auto cur = c_->exec("SELECT status FROM notifications WHERE id = $1 FOR UPDATE",
                            {pg_int(id)}, "mark notification accepted");
  if (cur.rows() == 0) return;
  const auto current = notify::parse_status(cur.text(0, 0)).value_or(notify::Status::kPending);
  const notify::Status next = notify::advances(current, status) ? status : current;
  c_->exec(
      "UPDATE notifications SET twilio_sid = $2, status = $3,"
      " next_attempt_at = CASE WHEN $3 = 'pending' THEN next_attempt_at END,"
      " lease_until = NULL, error_code = NULL, error_message = NULL, updated_at = $4"
      " WHERE id = $1",
      {pg_int(id), pg_opt_text(sid), pg_text(notify::status_code(next)), pg_int(now_unix_ms())},
      "mark notification accepted");
  tx.commit();
}

void PgStore::mark_retry(std::int64_t id, notify::Clock::time_point next_attempt,
                         const std::string& reason) {
  std::lock_guard lock(mu_);
  c_->ensure("mark notification for retry");
  c_->exec(
      "UPDATE notifications SET status = 'pending', next_attempt_at = $2, lease_until = NULL,"
      " error_code = NULL, error_message = $3, updated_at = $4"
      " WHERE id = $1 AND status IN ('sending', 'pending')",
      {pg_int(id), pg_int(to_unix_ms(next_attempt)), pg_opt_text(reason), pg_int(now_unix_ms())},
      "mark notification for retry");
}

void PgStore::mark_failed(std::int64_t id, const std::string& code, const std::string& message) {
  std::lock_guard lock(mu_);
  c_->ensure("mark notification failed");
  c_->exec(
      "UPDATE notifications SET status = 'failed', next_attempt_at = NULL, lease_until = NULL,"
      " error_code = $2, error_message = $3, updated_at = $4"
      " WHERE id = $1 AND status NOT IN ('read', 'failed', 'undelivered', 'expired')",
      {pg_int(id), pg_opt_text(code), pg_opt_text(message), pg_int(now_unix_ms())},
      "mark notification failed");
}

bool PgStore::apply_callback(const std::string& sid, notify::Status status,
                             const std::string& error_code, const std::string& error_message) {
  if (sid.empty()) return false;
  std::lock_guard lock(mu_);
  PgTransaction tx(*c_, "apply status callback");
  const auto cur = c_->exec("SELECT id, status FROM notifications WHERE twilio_sid = $1 FOR UPDATE",
                            {pg_text(sid)}, "apply status callback");
  if (cur.rows() == 0) return false;
  const auto current = notify::parse_status(cur.text(0, 1));
  if (current && notify::advances(*current, status)) {
    c_->exec(
        "UPDATE notifications SET status = $2, next_attempt_at = NULL, lease_until = NULL,"
        " error_code = coalesce($3, error_code), error_message = coalesce($4, error_message),"
        " updated_at = $5 WHERE id = $1",
        {pg_int(cur.int64(0, 0)), pg_text(notify::status_code(status)), pg_opt_text(error_code),
         pg_opt_text(error_message), pg_int(now_unix_ms())},
        "apply status callback");
  }
  tx.commit();
  return true;
}

int PgStore::activate_unconfigured(bool expire) {
  std::lock_guard lock(mu_);
  c_->ensure("activate not_configured notifications");
  const auto r = c_->exec(
      expire ? "UPDATE notifications SET status = 'expired', updated_at = $1"
               " WHERE status = 'not_configured'"
             : "UPDATE notifications SET status = 'pending', next_attempt_at = $1,"
               " delivery_started_at = $1, updated_at = $1 WHERE status = 'not_configured'",
      {pg_int(now_unix_ms())}, "activate not_configured notifications");
  return static_cast<int>(r.affected());
}

int PgStore::requeue_screening(std::int64_t screening_id) {
  std::lock_guard lock(mu_);
  c_->ensure("requeue screening notifications");
  const auto r = c_->exec(
      "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = $2,"
      " delivery_started_at = $2, lease_until = NULL, twilio_sid = NULL, error_code = NULL,"
      " error_message = NULL, updated_at = $2 WHERE screening_id = $1",
      {pg_int(screening_id), pg_int(now_unix_ms())}, "requeue screening notifications");
  return static_cast<int>(r.affected());
}

}  // namespace skinscan::store
