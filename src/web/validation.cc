#include "web/validation.h"

#include <set>

#include <phonenumbers/phonenumberutil.h>

namespace skinscan::web {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Decodes one UTF-8 sequence at s[i]; returns its code point and advances i, or -1.
long next_code_point(const std::string& s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = 0;
  long cp = 0;
  if (b0 < 0x80) {
    len = 1, cp = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr long kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += static_cast<std::size_t>(len);
  return cp;
}

bool is_space(long cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

bool is_control(long cp) { return cp < 0x20 || (cp >= 0x7F && cp < 0xA0); }

}  // namespace

std::optional<std::size_t> utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    if (next_code_point(s, i) < 0) return std::nullopt;
  }
  return n;
}

std::optional<std::string> validate_name(const std::string& raw, const std::string& field,
                                         std::vector<FieldError>& errors) {
  // Split into code points (byte offsets) to trim Unicode spaces at both ends.
  std::vector<std::pair<std::size_t, long>> cps;
  for (std::size_t i = 0; i < raw.size();) {
    const std::size_t at = i;
    const long cp = next_code_point(raw, i);
    if (cp < 0) {
      errors.push_back({"invalid", "must be UTF-8 text", field});
      return std::nullopt;
    }
    cps.emplace_back(at, cp);
  }
  std::size_t b = 0, e = cps.size();
  while (b < e && is_space(cps[b].second)) ++b;
  while (e > b && is_space(cps[e - 1].second)) --e;
  if (b == e) {
    errors.push_back({"required", "is required", field});
    return std::nullopt;
  }
  for (std::size_t k = b; k < e; ++k) {
    if (is_control(cps[k].second)) {
      errors.push_back({"invalid", "must not contain control characters", field});
      return std::nullopt;
    }
  }
  if (e - b > kMaxNameCodePoints) {
    errors.push_back({"too_long", "must be at most 100 characters", field});
    return std::nullopt;
  }
  const std::size_t from = cps[b].first;
  const std::size_t to = e < cps.size() ? cps[e].first : raw.size();
  return raw.substr(from, to - from);
}

std::optional<std::string> validate_phone(const std::string& raw, const std::string& region,
                                          const std::string& field,
                                          std::vector<FieldError>& errors) {
  std::vector<FieldError> ignored;
  const auto trimmed = validate_name(raw, field, ignored);
  if (!trimmed) {
    if (!ignored.empty() && ignored[0].code == "required") {
      errors.push_back({"required", "is required", field});
    } else {
      errors.push_back({"invalid_phone", "is not a valid phone number", field});
    }
    return std::nullopt;
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (trimmed->size() > 40 ||
      util.Parse(*trimmed, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsPossibleNumber(number) || !util.IsValidNumber(number)) {
    errors.push_back({"invalid_phone",
                      "is not a valid phone number (use international format, e.g. "
                      "+14155550123)",
                      field});
    return std::nullopt;
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool is_known_region(const std::string& region) {
  std::set<std::string> regions;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
  return regions.count(region) > 0;
}

}  // namespace skinscan::web
