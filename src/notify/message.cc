#include "notify/message.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "data/text.h"
#include "screen/decision.h"

namespace skinscan::notify {
namespace {

// Per-field caps (UTF-16 units) that keep the whole body far under kMaxBodyUnits.
constexpr std::size_t kMaxNameUnits = 200;         // patient / doctor
constexpr std::size_t kMaxFindingUnits = 200;      // decision in words
constexpr std::size_t kMaxShortUnits = 64;         // reference, date, model version
constexpr const char* kEllipsis = "\xE2\x80\xA6";  // U+2026, one unit
constexpr const char* kReferLine =
    "Please see a dermatologist: this result should be checked by a specialist.";

// Length of the UTF-8 sequence starting with `lead`, 0 when `lead` cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The code point at s[i] as (bytes, UTF-16 units); invalid bytes are (1, 1).
std::pair<std::size_t, std::size_t> next_code_point(const std::string& s, std::size_t i) {
  const std::size_t len = sequence_length(static_cast<unsigned char>(s[i]));
  if (len == 0 || i + len > s.size()) return {1, 1};
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return {1, 1};
  }
  return {len, len == 4 ? 2 : 1};
}

// One line (data/text.h): line breaks of every kind become spaces and bidi controls are
// dropped, so a name cannot forge report lines or reorder them; invalid bytes become U+FFFD.
std::string clean(const std::string& s) { return one_line(s); }

// Cleaned and cut to `max_units` (with an ellipsis when cut).
std::string field(const std::string& s, std::size_t max_units) {
  std::string c = clean(s);
  if (utf16_units(c) <= max_units) return c;
  return truncate_utf16(c, max_units - 1) + kEllipsis;
}

std::string percent(double confidence) {
  if (!std::isfinite(confidence)) return "n/a";
  const double p = std::clamp(confidence, 0.0, 1.0) * 100.0;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", p);
  return buf;
}

// "76% melanoma": what the confidence is of (the top class); just the percentage when the
// label is unknown.
std::string confidence_of(const Report& r) {
  const std::string p = percent(r.confidence);
  const auto cls = class_from_code(r.label);
  return cls ? p + " " + class_short_name(*cls) : p;
}

// The finding as sent: a report that refers is never worded "No disease" (rows written
// under an older rule are reworded, not trusted).
std::string finding_of(const Report& r) {
  if (r.refer && (r.decision == "no_disease" || r.finding.rfind("No disease", 0) == 0)) {
    Finding f;
    f.decision = Decision::kInconclusive;
    return decision_words(f);
  }
  return r.finding;
}

}  // namespace

std::size_t utf16_units(const std::string& utf8) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto [bytes, u] = next_code_point(utf8, i);
    i += bytes;
    units += u;
  }
  return units;
}

std::string truncate_utf16(const std::string& utf8, std::size_t max_units) {
  std::size_t units = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto [bytes, u] = next_code_point(utf8, i);
    if (units + u > max_units) break;
    units += u;
    i += bytes;
  }
  return utf8.substr(0, i);
}

std::string compose_message(const Report& r) {
  const std::string reference = field(r.reference, kMaxShortUnits);
  std::string m;
  m += "SkinScan screening report " + reference + "\n";
  m += "Patient: " + field(r.patient_name, kMaxNameUnits) + "\n";
  m += "Doctor: " + field(r.doctor_name, kMaxNameUnits) + "\n";
  m += "Result: " + field(finding_of(r), kMaxFindingUnits) + "\n";
  m += "Confidence: " + confidence_of(r) + "\n";
  if (r.refer) m += std::string(kReferLine) + "\n";
  m += "Date: " + field(r.date, kMaxShortUnits) + "\n";
  m += "Model: " + field(r.model_version, kMaxShortUnits) + "\n";
  m += "Reference: " + reference + "\n";
  m += kDisclaimer;
  // The caps above keep m near 1,000 units at most; this is a guard, never expected to cut.
  if (utf16_units(m) > kMaxBodyUnits) m = truncate_utf16(m, kMaxBodyUnits);
  return m;
}

std::string content_variables(const Report& r, bool numbered) {
  std::string finding = field(finding_of(r), kMaxFindingUnits);
  if (r.refer) finding += " - please see a dermatologist";
  const std::pair<const char*, std::string> values[] = {
      {"patient", field(r.patient_name, kMaxNameUnits)},
      {"doctor", field(r.doctor_name, kMaxNameUnits)},
      {"finding", finding},
      {"confidence", confidence_of(r)},
      {"date", field(r.date, kMaxShortUnits)},
      {"reference", field(r.reference, kMaxShortUnits)},
  };
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  int n = 0;
  for (const auto& [key, value] : values) {
    j[numbered ? std::to_string(++n) : std::string(key)] = value;
  }
  return j.dump();  // UTF-8 kept as is (valid: field() replaced invalid bytes)
}

}  // namespace skinscan::notify
