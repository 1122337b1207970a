// Order-independent digest of a set of text keys (FNV-1a 64 over the sorted keys), as 16 hex
// digits: the dataset and split fingerprints that models and splits record.
#pragma once

#include <string>
#include <vector>

namespace skinscan {

std::string fingerprint_of(std::vector<std::string> keys);

}  // namespace skinscan
