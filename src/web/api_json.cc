#include "web/api_json.h"

namespace skinscan::web {

using json = nlohmann::ordered_json;

namespace {

json field_error_json(const FieldError& e) {
  json j;
  j["code"] = e.code;
  j["message"] = e.message;
  j["field"] = e.field.empty() ? json(nullptr) : json(e.field);
  return j;
}

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

json error_body(const std::vector<FieldError>& errors) {
  json j;
  j["error"] = errors.empty() ? field_error_json({"internal", "error", ""})
                              : field_error_json(errors.front());
  json all = json::array();
  for (const FieldError& e : errors) all.push_back(field_error_json(e));
  j["errors"] = all;
  return j;
}

std::string overall_word(const std::vector<store::NotificationRow>& ns) {
  using notify::Status;
  if (ns.empty()) return "Not sent";
  bool all_ok = true, all_unconfigured = true;
  for (const auto& n : ns) {
    if (n.status != Status::kNotConfigured) all_unconfigured = false;
    switch (n.status) {
      case Status::kFailed:
      case Status::kUndelivered:
      case Status::kExpired:
        return "Failed";
      case Status::kNotConfigured:
      case Status::kQueued:
      case Status::kSent:
      case Status::kDelivered:
      case Status::kRead:
        break;
      default:
        all_ok = false;
    }
  }
  if (all_unconfigured) return "Not configured";
  for (const auto& n : ns) {
    if (n.status == Status::kNotConfigured) return "Failed";  // some sent, some never could be
  }
  return all_ok ? "Success" : "Pending";
}

std::string image_extension(const std::string& format) { return format == "jpeg" ? "jpg" : format; }

json screening_json(const store::ScreeningRow& row) {
  const std::string base = "/api/v1/screenings/" + std::to_string(row.id);
  json j;
  j["id"] = row.id;
  j["reference"] = row.reference;
  j["created_at"] = row.created_at;
  j["patient"] = {{"name", row.patient_name}, {"phone", row.patient_phone}};
  j["doctor"] = {{"name", row.doctor_name}, {"phone", row.doctor_phone}};
  j["image"] = {{"sha256", row.image_sha256},
                {"format", row.image_format},
                {"width", row.image_width},
                {"height", row.image_height},
                {"url", base + "/image"}};
  j["heatmap_url"] = base + "/heatmap.png";
  json result = json::parse(row.result_json, nullptr, false);
  if (!result.is_object()) result = json::object();
  result["words"] = row.finding;
  j["result"] = result;
  json ns = json::array();
  for (const auto& n : row.notifications) {
    json o;
    o["recipient"] = notify::recipient_code(n.recipient);
    o["to"] = n.to;
    o["status"] = notify::status_code(n.status);
    o["error_code"] = or_null(n.error_code);
    o["error_message"] = or_null(n.error_message);
    o["updated_at"] = n.updated_at;
    ns.push_back(o);
  }
  j["notifications"] = ns;
  j["overall"] = overall_word(row.notifications);
  return j;
}

}  // namespace skinscan::web
