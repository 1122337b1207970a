// Unicode text of SkinScan, one implementation for every stage (utf8proc, Debian's
// libutf8proc): UTF-8 validation, length, case folding for search keys, and the rules for
// a person's name and for one line of a report.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace skinscan {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool valid_utf8(std::string_view s);

// Number of code points of valid UTF-8 text; nullopt when the bytes are not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s);

// Unicode case folding (full, as for caseless matching: "Σωκράτης" and "ΣΩΚΡΆΤΗΣ" both give
// "σωκράτησ") after NFC composition, for search keys. Input must be valid UTF-8.
std::string fold_case(std::string_view utf8);

// A person's name as entered in a form. Accepted: valid UTF-8, NFC-normalised, trimmed of
// Unicode white space at both ends, 1-100 code points, at least one letter, one line.
// Refused (code "invalid"): control characters, line or paragraph separators, bidi
// overrides/embeddings/isolates and marks (U+200E/F, U+202A-E, U+2066-9), other format
// characters except ZWJ/ZWNJ inside a word, private-use, unassigned and noncharacters.
// Code "required" for empty or white-space-only, "too_long" over 100.
struct NameCheck {
  std::optional<std::string> name;  // the cleaned name when accepted
  std::string code;                 // else: required, too_long, invalid
  std::string message;
};
inline constexpr std::size_t kMaxNameCodePoints = 100;
NameCheck check_name(std::string_view raw);

// One line of a message: invalid bytes become U+FFFD, control characters and line or
// paragraph separators become spaces, bidi controls are dropped, ends trimmed. Whatever
// the input, the result holds no line break and cannot reorder the text around it.
std::string one_line(std::string_view s);

// Text for HTML element content or a quoted attribute: & < > " ' escaped.
std::string html_escape(std::string_view s);

}  // namespace skinscan
