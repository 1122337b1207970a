#include "store/name_fold.h"

#include "data/text.h"

namespace skinscan::store {

bool valid_utf8(const std::string& s) { return skinscan::valid_utf8(s); }

std::string fold_case(const std::string& utf8) { return skinscan::fold_case(utf8); }

std::string digits_only(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

}  // namespace skinscan::store
