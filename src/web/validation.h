// Field validation of the screening form, shared by every upload endpoint.
//
// Contract: names follow skinscan::check_name (data/text.h: NFC, trimmed, one line, no
// control, bidi or invisible characters, at least one letter, 1-100 code points, any script).
// Phones are parsed with libphonenumber in `default_region` (a number starting with '+' needs
// none), must be possible and valid, and come back normalised to E.164. Errors carry the stable
// codes of the API: required, too_long, invalid, invalid_phone. A number with an extension
// is refused (WhatsApp cannot reach an extension).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/text.h"

namespace skinscan::web {

struct FieldError {
  std::string code;
  std::string message;
  std::string field;  // empty: not about one field
};

// Returns the trimmed name, or nullopt after appending an error for `field`.
std::optional<std::string> validate_name(const std::string& raw, const std::string& field,
                                         std::vector<FieldError>& errors);
// Returns the E.164 number, or nullopt after appending an error for `field`.
std::optional<std::string> validate_phone(const std::string& raw, const std::string& region,
                                          const std::string& field,
                                          std::vector<FieldError>& errors);

// True when `region` is a region code libphonenumber knows (e.g. "US", "GB").
bool is_known_region(const std::string& region);

}  // namespace skinscan::web
