// The feature map that explanations (screen/heatmap.h) are computed on, and the logits.
// Residual nets use the output of their second stage (1/4 of the input resolution), which
// localises much better than the last, 1/16-resolution map; an ensemble of residual nets
// uses all its members' second-stage maps side by side (one tensor the members' heads read
// slices of, so its gradient holds every member's share); other nets use their last
// convolutional map (NetImpl::forward_with_features).
#pragma once

#include <utility>

#include "model/nets.h"

namespace skinscan {

std::pair<torch::Tensor, torch::Tensor> forward_for_explanation(NetImpl& net, torch::Tensor x);

}  // namespace skinscan
