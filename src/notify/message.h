// The text of the WhatsApp report and the template variables of its approved-template form.
#pragma once

#include <cstddef>
#include <string>

#include "notify/outbox.h"

namespace skinscan::notify {

// WhatsApp/Twilio body limit, in UTF-16 code units.
constexpr std::size_t kMaxBodyUnits = 1600;
constexpr const char* kDisclaimer = "Screening aid, not a diagnosis. Please consult your doctor.";

// Free-form body: patient, doctor, finding in words, what the confidence is of ("76%
// melanoma"), the refer line when flagged (a flagged report is never worded "No disease"), date,
// model version, reference and the disclaimer. Always valid UTF-8 of at most kMaxBodyUnits UTF-16
// units: over-long names are cut on code point boundaries with "…".
std::string compose_message(const Report& r);

// Template mode: the ContentVariables JSON object, keys "patient", "doctor", "finding",
// "confidence" (e.g. "91% melanoma"), "date", "reference" -- or "1".."6" in that order when
// `numbered` (see docs/whatsapp.md). When the report is flagged, "finding" ends with
// " - please see a dermatologist". Values are cleaned like the body (no control characters).
std::string content_variables(const Report& r, bool numbered = false);

// Number of UTF-16 code units of UTF-8 text (4-byte sequences count 2).
std::size_t utf16_units(const std::string& utf8);
// The longest prefix of `utf8` with at most `max_units` UTF-16 units, cut on a code point
// boundary (invalid bytes count as one unit each and are kept as is).
std::string truncate_utf16(const std::string& utf8, std::size_t max_units);

}  // namespace skinscan::notify
