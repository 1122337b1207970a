#include "store/validate.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>

#include "data/text.h"
#include "store/name_fold.h"

namespace skinscan::store {
namespace {

constexpr std::size_t kMaxNameCodePoints = 100;  // the API's limit (names after trimming)

std::size_t code_points(const std::string& utf8) { return skinscan::utf8_length(utf8).value_or(0); }

bool is_hex_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Probabilities summed in float may overshoot [0, 1] by rounding; the store clamps those.
bool unit_interval(double x) {
  return std::isfinite(x) && x >= -kProbabilitySlack && x <= 1 + kProbabilitySlack;
}

}  // namespace

bool is_e164(const std::string& phone) {
  if (phone.size() < 3 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  return digits_only(phone).size() == phone.size() - 1;
}

void check_new_screening(const NewScreening& s, notify::Status initial, const std::string& path) {
  auto bad = [&](const std::string& field, const std::string& why) {
    throw StoreError("store " + path + ": create screening: invalid " + field + ": " + why);
  };
  for (const auto& [field, name] :
       {std::pair<const char*, const std::string*>{"patient_name", &s.patient_name},
        {"doctor_name", &s.doctor_name}}) {
    if (name->empty()) bad(field, "empty");
    if (!valid_utf8(*name)) bad(field, "not valid UTF-8");
    if (code_points(*name) > kMaxNameCodePoints) bad(field, "longer than 100 characters");
  }
  if (!is_e164(s.patient_phone)) bad("patient_phone", "not an E.164 number (+ and digits)");
  if (!is_e164(s.doctor_phone)) bad("doctor_phone", "not an E.164 number (+ and digits)");
  if (!is_hex_sha256(s.image_sha256)) bad("image_sha256", "not 64 lower-case hex digits");
  if (s.image_format != "jpeg" && s.image_format != "png" && s.image_format != "webp") {
    bad("image_format", "not jpeg, png or webp");
  }
  if (s.image_width <= 0 || s.image_height <= 0) bad("image size", "width and height must be > 0");
  if (s.decision != "diagnosis" && s.decision != "no_disease" && s.decision != "inconclusive" &&
      s.decision != "not_a_lesion") {
    bad("decision", "not diagnosis, no_disease, inconclusive or not_a_lesion");
  }
  if (s.decision == "no_disease" && s.refer) bad("decision", "a referral cannot be no_disease");
  if (!unit_interval(s.confidence)) bad("confidence", "not in [0, 1]");
  if (!unit_interval(s.malignancy_risk)) bad("malignancy_risk", "not in [0, 1]");
  if (s.result_json.empty()) bad("result_json", "empty");
  for (const auto* text : {&s.label, &s.finding, &s.model_version, &s.result_json}) {
    if (!valid_utf8(*text)) bad("text field", "not valid UTF-8");
  }
  if (initial != notify::Status::kPending && initial != notify::Status::kNotConfigured) {
    bad("initial status", "must be pending or not_configured");
  }
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr) != 1) {
    throw StoreError("store: SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

void check_blob(const Blob& blob, const std::string& path) {
  if (blob.bytes.empty() || blob.media_type.empty() || !is_hex_sha256(blob.sha256) ||
      sha256_hex(blob.bytes) != blob.sha256) {
    throw StoreError("store " + path +
                     ": put blob: the bytes are empty, untyped, or do not match their SHA-256");
  }
}

void check_photo(const NewScreening& s, const Blob& photo, const std::string& path) {
  check_blob(photo, path);
  if (photo.sha256 != s.image_sha256) {
    throw StoreError("store " + path + ": create screening: the photo is not image_sha256");
  }
}

SearchKeys search_keys(const std::string& query) {
  const auto b = query.find_first_not_of(" \t\r\n");
  const std::string q =
      b == std::string::npos ? "" : query.substr(b, query.find_last_not_of(" \t\r\n") - b + 1);
  const bool phone_like = q.find_first_not_of("0123456789+-(). ") == std::string::npos;
  return {fold_case(q), phone_like ? digits_only(q) : ""};
}

ListQuery list_query(const std::string& query, int page, int page_size, const ListFilter& filter) {
  ListQuery q;
  q.page = std::max(page, 1);
  q.page_size = std::clamp(page_size, 1, kMaxPageSize);
  q.keys = search_keys(query);
  q.ref_id = id_of_reference(query).value_or(0);
  q.decision = filter.decision;
  q.refer = filter.refer ? (*filter.refer ? 1 : 0) : -1;
  return q;
}

}  // namespace skinscan::store
