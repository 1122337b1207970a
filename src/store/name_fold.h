// Text keys for searching screenings: case-folded patient names and phone digits.
#pragma once

#include <string>

namespace skinscan::store {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool valid_utf8(const std::string& s);

// Unicode case folding after NFC (skinscan::fold_case, utf8proc): capitals of every
// script fold; scripts without case (CJK, Arabic, emoji, ...) are kept, so a name in any
// script matches itself as a substring. Input must be valid UTF-8.
std::string fold_case(const std::string& utf8);

// The ASCII digits of `s`, in order ("+1 (415) 555" -> "1415555").
std::string digits_only(const std::string& s);

}  // namespace skinscan::store
