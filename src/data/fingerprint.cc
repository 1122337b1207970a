#include "data/fingerprint.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace skinscan {

std::string fingerprint_of(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  std::uint64_t h = 14695981039346656037ULL;
  for (const auto& k : keys) {
    for (unsigned char c : k) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ static_cast<unsigned char>('\n')) * 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace skinscan
