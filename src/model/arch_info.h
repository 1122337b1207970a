// The architectures SkinScan knows (model/nets.h describes the networks): name, default
// input and a one-line description for --help and the model card. Torch-free, so that
// model.json can be read and checked without LibTorch; defined in model/nets.cc beside the
// networks.
#pragma once

#include <string>
#include <vector>

#include "model/input_spec.h"

namespace skinscan {

struct ArchInfo {
  std::string name;
  InputSpec input;    // default input size for this architecture
  std::string about;  // one line for --help and the model card
  // A residual net's stage widths (model/nets.h's resnet family), empty for every other
  // architecture; with stride4_stem its stem is two 3x3 stride-2 convolutions, not one.
  std::vector<long> widths = {};
  bool stride4_stem = false;

  // A residual net: its stage maps carry mask supervision and heatmaps.
  bool residual() const { return !widths.empty(); }
};

const std::vector<ArchInfo>& architectures();
const ArchInfo& arch_info(const std::string& name);  // throws skinscan::Error (invalid_argument)

}  // namespace skinscan
