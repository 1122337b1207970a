#include "data/text.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace skinscan {

namespace {

using Cp = utf8proc_int32_t;

// Decodes valid UTF-8 into code points; nullopt at the first invalid sequence.
std::optional<std::vector<Cp>> decode(std::string_view s) {
  std::vector<Cp> out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    Cp cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0 || cp < 0) return std::nullopt;
    out.push_back(cp);
    p += n;
    left -= n;
  }
  return out;
}

void append(std::string& out, Cp cp) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

std::string map(std::string_view s, int options) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                          static_cast<utf8proc_ssize_t>(s.size()), &out,
                                          static_cast<utf8proc_option_t>(options));
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, std::free);
  if (n < 0) return std::string(s);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

bool is_bidi_control(Cp c) {
  return c == 0x200E || c == 0x200F || c == 0x061C || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

bool is_white(Cp c) {
  const auto cat = utf8proc_category(c);
  return cat == UTF8PROC_CATEGORY_ZS || c == '\t' || c == '\n' || c == '\r' || c == 0x0B ||
         c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xFEFF;
}

bool is_letter(Cp c) {
  const auto cat = utf8proc_category(c);
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

}  // namespace

bool valid_utf8(std::string_view s) { return decode(s).has_value(); }

std::optional<std::size_t> utf8_length(std::string_view s) {
  const auto cps = decode(s);
  if (!cps) return std::nullopt;
  return cps->size();
}

std::string fold_case(std::string_view utf8) {
  return map(utf8, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
}

NameCheck check_name(std::string_view raw) {
  if (!valid_utf8(raw)) return {std::nullopt, "invalid", "must be UTF-8 text"};
  const auto cps = decode(map(raw, UTF8PROC_STABLE | UTF8PROC_COMPOSE)).value();
  std::size_t b = 0, e = cps.size();
  while (b < e && is_white(cps[b])) ++b;
  while (e > b && is_white(cps[e - 1])) --e;
  if (b == e) return {std::nullopt, "required", "is required"};
  bool letter = false;
  for (std::size_t k = b; k < e; ++k) {
    const Cp c = cps[k];
    const auto cat = utf8proc_category(c);
    if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
      return {std::nullopt, "invalid", "must be one line without control characters"};
    }
    if (is_bidi_control(c)) {
      return {std::nullopt, "invalid", "must not contain text-direction control characters"};
    }
    if (cat == UTF8PROC_CATEGORY_CF) {
      // ZWNJ/ZWJ shape letters in some scripts (and emoji): allowed between two characters
      // that are not white space; every other invisible format character is refused.
      const bool joiner = (c == 0x200C || c == 0x200D) && k > b && k + 1 < e &&
                          !is_white(cps[k - 1]) && !is_white(cps[k + 1]);
      if (!joiner) return {std::nullopt, "invalid", "must not contain invisible characters"};
    }
    if (cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_CS) {
      return {std::nullopt, "invalid", "contains a character that is not assigned"};
    }
    letter = letter || is_letter(c);
  }
  if (e - b > kMaxNameCodePoints)
    return {std::nullopt, "too_long", "must be at most 100 characters"};
  if (!letter) return {std::nullopt, "invalid", "must contain at least one letter"};
  std::string out;
  for (std::size_t k = b; k < e; ++k) append(out, cps[k]);
  return {out, "", ""};
}

std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    Cp cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0 || cp < 0) {
      cp = 0xFFFD;
      n = 1;
    }
    p += n;
    left -= n;
    const auto cat = utf8proc_category(cp);
    if (is_bidi_control(cp)) continue;
    if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
      out += ' ';
    } else {
      append(out, cp);
    }
  }
  const auto b = out.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace skinscan
