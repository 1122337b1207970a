// libFuzzer harness: the form's name and phone validation and the Unicode helpers behind
// them (utf8proc): whatever comes in, an accepted name is valid one-line UTF-8 with no bidi
// control, and a report line never holds a line break.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/text.h"
#include "web/validation.h"

namespace {

bool has_line_break(const std::string& s) {
  return s.find('\n') != std::string::npos || s.find('\r') != std::string::npos ||
         s.find("\xE2\x80\xA8") != std::string::npos || s.find("\xE2\x80\xA9") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  std::vector<skinscan::web::FieldError> errors;
  if (const auto name = skinscan::web::validate_name(in, "patient_name", errors)) {
    if (!skinscan::valid_utf8(*name) || has_line_break(*name) ||
        name->find("\xE2\x80\xAE") != std::string::npos || name->empty()) {
      __builtin_trap();
    }
  }
  if (const auto phone = skinscan::web::validate_phone(in, "GB", "patient_phone", errors)) {
    if (phone->empty() || (*phone)[0] != '+') __builtin_trap();
  }
  const std::string line = skinscan::one_line(in);
  if (!skinscan::valid_utf8(line) || has_line_break(line)) __builtin_trap();
  if (skinscan::valid_utf8(in)) (void)skinscan::fold_case(in);
  return 0;
}
