// Twilio credentials and endpoints for WhatsApp reports, read from Settings (environment
// beats the config file; Settings::load refuses a config file readable by others).
//
// The auth token is a secret: never log it, never put it in an error message, never store it
// in the database. Nothing in this header prints it.
#pragma once

#include <string>

#include "data/settings.h"

namespace skinscan::notify {

struct TwilioConfig {
  std::string account_sid;    // TWILIO_ACCOUNT_SID, e.g. "AC..."
  std::string auth_token;     // TWILIO_AUTH_TOKEN (secret)
  std::string whatsapp_from;  // TWILIO_WHATSAPP_FROM, e.g. "whatsapp:+14155238886"
  std::string api_base = "https://api.twilio.com";  // TWILIO_API_BASE (no trailing slash)
  std::string content_sid;      // TWILIO_CONTENT_SID: template mode when set, else free-form Body
  std::string public_base_url;  // SKINSCAN_PUBLIC_URL: StatusCallback = it + "/twilio/status"
  // TWILIO_CONTENT_VARIABLES=numbered: template placeholders are {{1}}..{{6}} (patient, doctor,
  // finding, confidence, date, reference) instead of the named {{patient}}...{{reference}}.
  bool numbered_variables = false;

  // Account SID, auth token and sender all set.
  bool configured() const;
  // The status callback URL Twilio is told to call, "" when public_base_url is empty.
  std::string status_callback_url() const;
  // `whatsapp_from` with the "whatsapp:" prefix added when the setting lacks it.
  std::string from_address() const;

  // Reads the keys above. Throws skinscan::Error (invalid_argument) (naming the key, never the
  // value) when TWILIO_API_BASE is not https:// (plain http:// only to 127.0.0.1/localhost) or
  // TWILIO_CONTENT_VARIABLES is neither "named" nor "numbered".
  static TwilioConfig from_settings(const skinscan::Settings& settings);
};

}  // namespace skinscan::notify
