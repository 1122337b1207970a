// Forward declarations for headers that name LibTorch types without using them, so that
// including them does not cost LibTorch's headers (about 20 s of parsing per file):
// at::Tensor (torch::Tensor is the same class), c10::Device (torch::Device) and SkinScan's
// network handle Net (model/nets.h).
//
// A function declared with these compiles anywhere; code that creates, reads or passes a
// tensor includes <torch/torch.h> itself (for a Classifier: model/classifier_torch.h).
#pragma once

#include <memory>

namespace at {
class Tensor;
}  // namespace at

namespace c10 {
struct Device;
}  // namespace c10

namespace skinscan {

struct NetImpl;  // model/nets.h
using Net = std::shared_ptr<NetImpl>;

}  // namespace skinscan
