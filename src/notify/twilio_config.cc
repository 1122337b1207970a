#include "notify/twilio_config.h"

#include <stdexcept>

#include "data/error.h"
#include "notify/twilio_client.h"

namespace skinscan::notify {
namespace {

std::string strip_trailing_slashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

bool TwilioConfig::configured() const {
  return !account_sid.empty() && !auth_token.empty() && !whatsapp_from.empty();
}

std::string TwilioConfig::status_callback_url() const {
  if (public_base_url.empty()) return "";
  return strip_trailing_slashes(public_base_url) + "/twilio/status";
}

std::string TwilioConfig::from_address() const {
  if (whatsapp_from.rfind("whatsapp:", 0) == 0) return whatsapp_from;
  return "whatsapp:" + whatsapp_from;
}

TwilioConfig TwilioConfig::from_settings(const skinscan::Settings& settings) {
  TwilioConfig c;
  c.account_sid = settings.get_or("TWILIO_ACCOUNT_SID", "");
  c.auth_token = settings.get_or("TWILIO_AUTH_TOKEN", "");
  c.whatsapp_from = settings.get_or("TWILIO_WHATSAPP_FROM", "");
  c.api_base = strip_trailing_slashes(settings.get_or("TWILIO_API_BASE", c.api_base));
  c.content_sid = settings.get_or("TWILIO_CONTENT_SID", "");
  c.public_base_url = settings.get_or("SKINSCAN_PUBLIC_URL", "");
  const std::string vars = settings.get_or("TWILIO_CONTENT_VARIABLES", "named");
  if (vars == "numbered") {
    c.numbered_variables = true;
  } else if (vars != "named") {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "TWILIO_CONTENT_VARIABLES must be \"named\" or \"numbered\"");
  }
  check_api_base(c.api_base);
  return c;
}

}  // namespace skinscan::notify
