// POST /twilio/status: Twilio's message status callbacks. The web server passes the full
// public URL Twilio called (as Twilio saw it: cfg.public_base_url + "/twilio/status" behind a
// proxy), the decoded form parameters and the X-Twilio-Signature header, and answers the
// returned HTTP status with an empty body.
#pragma once

#include <string>

#include "notify/outbox.h"
#include "notify/signature.h"
#include "notify/twilio_config.h"

namespace skinscan::notify {

// Returns:
//   403 when Twilio is not configured (no token to verify with) or the signature is wrong
//       (checked first: nothing about the request is trusted before);
//   400 when MessageSid or MessageStatus is missing or not a plain token;
//   204 when applied, ignored (a backwards move, a Twilio state with no meaning here such as
//       "sending", or an unknown sid: a message this database never sent);
//   500 when the outbox (database) failed; Twilio may call again.
// Mapping: accepted/scheduled/queued -> queued, sent, delivered, read, failed, canceled ->
// failed, undelivered.
// Status updates never move a row backwards (Outbox::apply_callback uses advances()).
// ErrorCode / ErrorMessage from the callback are recorded for failed/undelivered.
int handle_status_callback(Outbox& outbox, const TwilioConfig& cfg, const std::string& full_url,
                           const FormParams& params, const std::string& signature_header);

}  // namespace skinscan::notify
