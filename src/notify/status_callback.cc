#include "notify/status_callback.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace skinscan::notify {
namespace {

const std::string* find(const FormParams& params, const char* name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool is_token(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// Twilio's MessageStatus as a row status; nullopt for states that carry no progress for us
// (sending, receiving, ...), which are acknowledged and ignored.
std::optional<Status> from_twilio(const std::string& s) {
  if (s == "accepted" || s == "scheduled" || s == "queued") return Status::kQueued;
  if (s == "sent") return Status::kSent;
  if (s == "delivered") return Status::kDelivered;
  if (s == "read") return Status::kRead;
  if (s == "failed" || s == "canceled") return Status::kFailed;
  if (s == "undelivered") return Status::kUndelivered;
  return std::nullopt;
}

}  // namespace

int handle_status_callback(Outbox& outbox, const TwilioConfig& cfg, const std::string& full_url,
                           const FormParams& params, const std::string& signature_header) {
  if (!cfg.configured() ||
      !verify_twilio_signature(cfg.auth_token, full_url, params, signature_header)) {
    return 403;
  }
  const std::string* sid = find(params, "MessageSid");
  if (sid == nullptr) sid = find(params, "SmsSid");
  const std::string* status = find(params, "MessageStatus");
  if (status == nullptr) status = find(params, "SmsStatus");
  if (sid == nullptr || status == nullptr || !is_token(*sid) || !is_token(*status)) return 400;
  const auto st = from_twilio(*status);
  if (!st) return 204;
  const std::string* code = find(params, "ErrorCode");
  const std::string* message = find(params, "ErrorMessage");
  std::string error_code = code ? *code : "";
  std::string error_message = message ? *message : "";
  if (*status == "canceled" && error_code.empty()) error_code = "canceled";
  if ((st == Status::kFailed || st == Status::kUndelivered) && error_message.empty() &&
      !error_code.empty()) {
    error_message = "Twilio reported " + *status + " with error " + error_code;
  }
  try {
    if (!outbox.apply_callback(*sid, *st, error_code, error_message)) {
      spdlog::info("WhatsApp: status callback for unknown message {} ignored", *sid);
    }
  } catch (const std::exception& e) {
    spdlog::error("WhatsApp: status callback for {}: {}", *sid, e.what());
    return 500;
  }
  return 204;
}

}  // namespace skinscan::notify
