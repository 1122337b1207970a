// One Twilio "create message" request over libcurl, classified for the sender.
// POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json, Basic auth, form-encoded.
// TLS peer and host verification are always on; plain http:// is refused unless the host is
// 127.0.0.1 or localhost (the test fake). The auth token never appears in results.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "notify/signature.h"
#include "notify/twilio_config.h"

namespace skinscan::notify {

struct SendResult {
  enum class Kind { kAccepted, kRetry, kPermanent };
  Kind kind = Kind::kRetry;
  int http_status = 0;  // 0: no response (network error, timeout)
  std::string sid;      // kAccepted: Twilio's message sid ("SM...")
  std::string status;   // kAccepted: Twilio's status ("queued", "accepted", ...)
  std::string code;     // Twilio's error code ("21211"), or "http_503", "network", ...
  std::string message;  // human-readable reason, secret-free
  std::optional<std::chrono::seconds> retry_after;  // from Retry-After (seconds form)
};

// The form fields of one message: To, From, Body or ContentSid+ContentVariables, and
// StatusCallback when the public URL is set.
FormParams message_form(const TwilioConfig& cfg, const std::string& to_e164,
                        const std::string& body, const std::string& content_variables);

// Sends the form; never throws for HTTP/network failures (they are results).
SendResult post_message(const TwilioConfig& cfg, const FormParams& form,
                        std::chrono::seconds timeout);

// Throws skinscan::Error (invalid_argument) when api_base is neither https:// nor http:// to a
// loopback host.
void check_api_base(const std::string& api_base);

}  // namespace skinscan::notify
