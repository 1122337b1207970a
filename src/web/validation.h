// Field validation of the screening form, shared by every upload endpoint.
//
// Contract: names are trimmed (ASCII and Unicode spaces at either end), must be valid UTF-8
// without control characters and 1-100 Unicode code points long (any script). Phones are
// parsed with libphonenumber in `default_region` (a number starting with '+' needs none),
// must be possible and valid, and come back normalised to E.164. Errors carry the stable
// codes of the API: required, too_long, invalid (bad encoding), invalid_phone.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace skinscan::web {

inline constexpr std::size_t kMaxNameCodePoints = 100;

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

// Number of code points of valid UTF-8 text; nullopt when the bytes are not valid UTF-8.
std::optional<std::size_t> utf8_length(const std::string& s);
// True when `region` is a region code libphonenumber knows (e.g. "US", "GB").
bool is_known_region(const std::string& region);

}  // namespace skinscan::web
