#include "store/screening_rows.h"

#include <cstdio>

#include "store/time_text.h"

namespace skinscan::store {
namespace {

constexpr const char* kNotificationColumns =
    "id, screening_id, recipient, to_number, status, attempts, twilio_sid, error_code,"
    " error_message, next_attempt_at, created_at, updated_at";

NotificationRow read_notification(const Statement& st, const DbRef& ref) {
  NotificationRow n;
  n.id = st.int64(0);
  n.screening_id = st.int64(1);
  n.recipient = notify::parse_recipient(st.text(2)).value_or(notify::Recipient::kPatient);
  n.to = st.text(3);
  const auto parsed = notify::parse_status(st.text(4));
  if (!parsed) {  // the schema's CHECK makes this unreachable short of manual edits
    throw StoreError("store " + *ref.path + ": read notification " + std::to_string(n.id) +
                     ": unknown status");
  }
  n.status = *parsed;
  n.attempts = static_cast<int>(st.int64(5));
  n.twilio_sid = st.text(6);
  n.error_code = st.text(7);
  n.error_message = st.text(8);
  if (!st.is_null(9)) n.next_attempt_at = iso_utc(st.int64(9));
  n.created_at = iso_utc(st.int64(10));
  n.updated_at = iso_utc(st.int64(11));
  return n;
}

}  // namespace

const char* const kScreeningColumns =
    "id, created_at, patient_name, patient_phone, doctor_name, doctor_phone, image_sha256,"
    " image_format, image_width, image_height, label, decision, finding, confidence,"
    " malignancy_risk, refer, result_json, model_version";

std::string reference_for(std::int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "SS-%06lld", static_cast<long long>(id));
  return buf;
}

ScreeningRow read_screening(const Statement& st) {
  ScreeningRow r;
  r.id = st.int64(0);
  r.reference = reference_for(r.id);
  r.created_at = iso_utc(st.int64(1));
  r.patient_name = st.text(2);
  r.patient_phone = st.text(3);
  r.doctor_name = st.text(4);
  r.doctor_phone = st.text(5);
  r.image_sha256 = st.text(6);
  r.image_format = st.text(7);
  r.image_width = static_cast<int>(st.int64(8));
  r.image_height = static_cast<int>(st.int64(9));
  r.label = st.text(10);
  r.decision = st.text(11);
  r.finding = st.text(12);
  r.confidence = st.real(13);
  r.malignancy_risk = st.real(14);
  r.refer = st.int64(15) != 0;
  r.result_json = st.text(16);
  r.model_version = st.text(17);
  return r;
}

NotificationReader::NotificationReader(const DbRef& ref)
    : st_(ref,
          (std::string("SELECT ") + kNotificationColumns +
           " FROM notifications WHERE screening_id = ? ORDER BY recipient = 'doctor', id")
              .c_str(),
          "read notifications") {}

std::vector<NotificationRow> NotificationReader::of_screening(std::int64_t screening_id) {
  st_.reset();
  st_.bind_int(1, screening_id);
  std::vector<NotificationRow> out;
  while (st_.step()) out.push_back(read_notification(st_, st_.ref()));
  return out;
}

std::optional<ScreeningRow> load_screening(const DbRef& ref, std::int64_t id) {
  Statement st(
      ref, (std::string("SELECT ") + kScreeningColumns + " FROM screenings WHERE id = ?").c_str(),
      "get screening");
  st.bind_int(1, id);
  if (!st.step()) return std::nullopt;
  ScreeningRow r = read_screening(st);
  r.notifications = NotificationReader(ref).of_screening(r.id);
  return r;
}

std::vector<NotificationRow> load_notifications(const DbRef& ref,
                                                std::optional<std::string> status) {
  Statement st(ref,
               (std::string("SELECT ") + kNotificationColumns +
                " FROM notifications WHERE (?1 IS NULL OR status = ?1)"
                " ORDER BY screening_id, recipient = 'doctor', id")
                   .c_str(),
               "list notifications");
  if (status) {
    st.bind_text(1, *status);
  } else {
    st.bind_null(1);
  }
  std::vector<NotificationRow> out;
  while (st.step()) out.push_back(read_notification(st, ref));
  return out;
}

}  // namespace skinscan::store
