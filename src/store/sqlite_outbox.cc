// Store's notify::Outbox methods: the life of notification rows (see notify/outbox.h).
#include <sqlite3.h>

#include "store/screening_rows.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace skinscan::store {
namespace {

struct RowStatus {
  std::int64_t id = 0;
  notify::Status status = notify::Status::kPending;
};

// The row with notifications.id = `id` (bind_int) or twilio_sid = `sid`, if any.
std::optional<RowStatus> read_status(Statement& st) {
  if (!st.step()) return std::nullopt;
  const auto status = notify::parse_status(st.text(1));
  if (!status) return std::nullopt;
  return RowStatus{st.int64(0), *status};
}

std::optional<RowStatus> status_by_id(const DbRef& ref, std::int64_t id) {
  Statement st(ref, "SELECT id, status FROM notifications WHERE id = ?", "read notification");
  st.bind_int(1, id);
  return read_status(st);
}

std::optional<RowStatus> status_by_sid(const DbRef& ref, const std::string& sid) {
  Statement st(ref, "SELECT id, status FROM notifications WHERE twilio_sid = ?",
               "read notification");
  st.bind_text(1, sid);
  return read_status(st);
}

int changes(const DbRef& ref) { return sqlite3_changes(ref.db); }

}  // namespace

std::vector<notify::OutboxMessage> SqliteStore::claim_due(notify::Clock::time_point now, int limit,
                                                          std::chrono::milliseconds lease) {
  std::vector<notify::OutboxMessage> out;
  if (limit <= 0) return out;
  const std::int64_t now_ms = to_unix_ms(now);
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Transaction tx(ref, Transaction::Kind::kWrite, "claim due notifications");
  // Two index searches (status = 'sending' AND lease_until <= now; status = 'pending' AND
  // next_attempt_at <= now) rather than one OR, which SQLite would answer with a full scan.
  // The write transaction (BEGIN IMMEDIATE) makes select + update atomic across
  // connections, so two senders never claim the same row.
  auto select = [&](const char* where_order, int max) {
    Statement due(ref,
                  (std::string("SELECT n.id, n.screening_id, n.recipient, n.to_number,"
                               " n.attempts, n.delivery_started_at, s.created_at,"
                               " s.patient_name, s.doctor_name, s.finding, s.decision,"
                               " s.confidence, s.refer, s.model_version, s.label"
                               " FROM notifications n JOIN screenings s ON s.id = n.screening_id"
                               " WHERE ") +
                   where_order + " LIMIT ?2")
                      .c_str(),
                  "claim due notifications");
    if (std::string(where_order).find("?1") != std::string::npos) due.bind_int(1, now_ms);
    due.bind_int(2, max);
    while (due.step()) {
      notify::OutboxMessage m;
      m.id = due.int64(0);
      m.screening_id = due.int64(1);
      m.recipient = notify::parse_recipient(due.text(2)).value_or(notify::Recipient::kPatient);
      m.to = due.text(3);
      m.attempts = static_cast<int>(due.int64(4)) + 1;
      m.created_at = from_unix_ms(due.is_null(5) ? due.int64(6) : due.int64(5));
      m.report.reference = reference_for(m.screening_id);
      m.report.patient_name = due.text(7);
      m.report.doctor_name = due.text(8);
      m.report.finding = due.text(9);
      m.report.decision = due.text(10);
      m.report.confidence = due.real(11);
      m.report.refer = due.int64(12) != 0;
      m.report.date = iso_date(due.int64(6));
      m.report.model_version = due.text(13);
      m.report.label = due.text(14);
      out.push_back(std::move(m));
    }
  };
  select("n.status = 'sending' AND n.lease_until <= ?1 ORDER BY n.id", limit);
  const int room = limit - static_cast<int>(out.size());
  if (room > 0) {
    select("n.status = 'pending' AND n.next_attempt_at <= ?1 ORDER BY n.next_attempt_at, n.id",
           room);
  }
  Statement claim(ref,
                  "UPDATE notifications SET status = 'sending', attempts = attempts + 1,"
                  " next_attempt_at = NULL, lease_until = ?3, updated_at = ?2 WHERE id = ?1",
                  "claim due notifications (update)");
  for (const auto& m : out) {
    claim.reset();
    claim.bind_int(1, m.id).bind_int(2, now_ms).bind_int(3, now_ms + lease.count()).run();
  }
  tx.commit();
  return out;
}

std::optional<notify::Clock::time_point> SqliteStore::next_due() {
  std::lock_guard lock(mu_);
  Statement st({db_, &path_},
               "SELECT min(t) FROM ("
               " SELECT min(next_attempt_at) AS t FROM notifications WHERE status = 'pending'"
               " UNION ALL"
               " SELECT min(lease_until) FROM notifications WHERE status = 'sending')",
               "next due notification");
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return from_unix_ms(st.int64(0));
}

void SqliteStore::mark_accepted(std::int64_t id, const std::string& sid, notify::Status status) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Transaction tx(ref, Transaction::Kind::kWrite, "mark notification accepted");
  const auto current = status_by_id(ref, id);
  if (!current) return;  // the row vanished (screening deleted): nothing to record
  // The sid is recorded even if the row moved on meanwhile, so later callbacks find it.
  const notify::Status next = notify::advances(current->status, status) ? status : current->status;
  Statement(ref,
            "UPDATE notifications SET twilio_sid = ?2, status = ?3,"
            " next_attempt_at = CASE WHEN ?3 = 'pending' THEN next_attempt_at END,"
            " lease_until = NULL, error_code = NULL, error_message = NULL, updated_at = ?4"
            " WHERE id = ?1",
            "mark notification accepted")
      .bind_int(1, id)
      .bind_opt_text(2, sid)
      .bind_text(3, notify::status_code(next))
      .bind_int(4, now_unix_ms())
      .run();
  tx.commit();
}

void SqliteStore::mark_retry(std::int64_t id, notify::Clock::time_point next_attempt,
                             const std::string& reason) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  // Only a claimed (or still pending) row goes back to pending; one that a callback or an
  // operator moved on meanwhile is left alone.
  Statement(ref,
            "UPDATE notifications SET status = 'pending', next_attempt_at = ?2,"
            " lease_until = NULL, error_code = NULL, error_message = ?3, updated_at = ?4"
            " WHERE id = ?1 AND status IN ('sending', 'pending')",
            "mark notification for retry")
      .bind_int(1, id)
      .bind_int(2, to_unix_ms(next_attempt))
      .bind_opt_text(3, reason)
      .bind_int(4, now_unix_ms())
      .run();
}

void SqliteStore::mark_failed(std::int64_t id, const std::string& code,
                              const std::string& message) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Statement(ref,
            "UPDATE notifications SET status = 'failed', next_attempt_at = NULL,"
            " lease_until = NULL, error_code = ?2, error_message = ?3, updated_at = ?4"
            " WHERE id = ?1 AND status NOT IN ('read', 'failed', 'undelivered', 'expired')",
            "mark notification failed")
      .bind_int(1, id)
      .bind_opt_text(2, code)
      .bind_opt_text(3, message)
      .bind_int(4, now_unix_ms())
      .run();
}

bool SqliteStore::apply_callback(const std::string& sid, notify::Status status,
                                 const std::string& error_code, const std::string& error_message) {
  if (sid.empty()) return false;
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  Transaction tx(ref, Transaction::Kind::kWrite, "apply status callback");
  const auto current = status_by_sid(ref, sid);
  if (!current) return false;
  if (notify::advances(current->status, status)) {
    Statement(ref,
              "UPDATE notifications SET status = ?2, next_attempt_at = NULL, lease_until = NULL,"
              " error_code = coalesce(?3, error_code), error_message = coalesce(?4, error_message),"
              " updated_at = ?5 WHERE id = ?1",
              "apply status callback")
        .bind_int(1, current->id)
        .bind_text(2, notify::status_code(status))
        .bind_opt_text(3, error_code)
        .bind_opt_text(4, error_message)
        .bind_int(5, now_unix_ms())
        .run();
  }
  tx.commit();
  return true;
}

int SqliteStore::activate_unconfigured(bool expire) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  const std::int64_t now = now_unix_ms();
  Statement st(ref,
               expire ? "UPDATE notifications SET status = 'expired', updated_at = ?1"
                        " WHERE status = 'not_configured'"
                      : "UPDATE notifications SET status = 'pending', next_attempt_at = ?1,"
                        " delivery_started_at = ?1, updated_at = ?1"
                        " WHERE status = 'not_configured'",
               "activate not_configured notifications");
  st.bind_int(1, now).run();
  return changes(ref);
}

int SqliteStore::requeue_screening(std::int64_t screening_id) {
  std::lock_guard lock(mu_);
  const DbRef ref{db_, &path_};
  const std::int64_t now = now_unix_ms();
  // The old sid is dropped: callbacks about the previous message no longer move this row.
  Statement st(ref,
               "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = ?2,"
               " delivery_started_at = ?2, lease_until = NULL,"
               " twilio_sid = NULL, error_code = NULL, error_message = NULL, updated_at = ?2"
               " WHERE screening_id = ?1",
               "requeue screening notifications");
  st.bind_int(1, screening_id).bind_int(2, now).run();
  return changes(ref);
}

}  // namespace skinscan::store
