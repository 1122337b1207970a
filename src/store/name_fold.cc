#include "store/name_fold.h"

#include <cstdint>

namespace skinscan::store {
namespace {

// Decodes one code point at s[i]; returns its length in bytes, 0 when malformed.
std::size_t decode(const std::string& s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;     // À..Þ except ×
  if (c >= 0x100 && c <= 0x137 && c % 2 == 0) return c + 1;   // Ā..ķ pairs
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;   // Ĺ..ň pairs
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;   // Ŋ..ŷ pairs
  if (c == 0x178) return 0xFF;                                // Ÿ
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;   // Ź..ž pairs
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;  // Greek Α..Ϋ
  if (c == 0x386) return 0x3AC;                               // Ά
  if (c >= 0x388 && c <= 0x38A) return c + 37;                // Έ Ή Ί
  if (c == 0x38C) return 0x3CC;                               // Ό
  if (c == 0x38E || c == 0x38F) return c + 63;                // Ύ Ώ
  if (c == 0x3C2) return 0x3C3;                               // final sigma -> sigma
  if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic А..Я
  if (c >= 0x400 && c <= 0x40F) return c + 80;                // Ѐ..Џ
  return c;
}

}  // namespace

bool valid_utf8(const std::string& s) {
  char32_t cp = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto n = decode(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string fold_case(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  char32_t cp = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto n = decode(utf8, i, cp);
    if (n == 0) {  // not expected (callers validate); keep the byte unchanged
      out += utf8[i++];
      continue;
    }
    encode(fold(cp), out);
    i += n;
  }
  return out;
}

std::string digits_only(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

}  // namespace skinscan::store
