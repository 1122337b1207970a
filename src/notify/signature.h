// Twilio request signatures (X-Twilio-Signature): base64 of HMAC-SHA1, keyed by the auth
// token, over the full request URL followed by every POST parameter's name and value,
// sorted by name (then value), with no separators. See Twilio's "Webhooks security" docs.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace skinscan::notify {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// The signature Twilio sends for a POST of `params` to `url` (exactly as Twilio called it,
// scheme, host, port, path and query included).
std::string twilio_signature(const std::string& auth_token, const std::string& url,
                             const FormParams& params);

// True when `header_value` is that signature. Compares in constant time; false for an empty
// token or header.
bool verify_twilio_signature(const std::string& auth_token, const std::string& url,
                             const FormParams& params, const std::string& header_value);

}  // namespace skinscan::notify
