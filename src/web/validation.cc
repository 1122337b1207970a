#include "web/validation.h"

#include <set>

#include <phonenumbers/phonenumberutil.h>

#include "data/text.h"

namespace skinscan::web {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

}  // namespace

std::optional<std::string> validate_name(const std::string& raw, const std::string& field,
                                         std::vector<FieldError>& errors) {
  NameCheck c = check_name(raw);
  if (!c.name) errors.push_back({c.code, c.message, field});
  return std::move(c.name);
}

std::optional<std::string> validate_phone(const std::string& raw, const std::string& region,
                                          const std::string& field,
                                          std::vector<FieldError>& errors) {
  const std::optional<std::string> trimmed = one_line(raw);
  if (trimmed->find_first_not_of(" \t") == std::string::npos) {
    errors.push_back({"required", "is required", field});
    return std::nullopt;
  }
  if (!valid_utf8(raw)) {
    errors.push_back({"invalid_phone", "is not a valid phone number", field});
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
  if (number.has_extension()) {
    errors.push_back({"invalid_phone",
                      "has an extension; WhatsApp needs a number without one (drop \"ext. " +
                          number.extension() + "\")",
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
