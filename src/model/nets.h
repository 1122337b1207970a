// The networks SkinScan can train. Every net maps a normalised [N,3,H,W] batch to [N,7]
// logits in ClassId order; softmax, prior adjustment and temperature are applied outside
// (model/classifier.h), once, for training and serving alike.
//
//   seed-cnn  exact replica of the seed article's Keras CNN on 28x28 RGB
//   resnet-s  small residual net (widths 24-48-96-192, one basic block per stage), 96x72
//   resnet-m  the same with widths 32-64-128-256
//   resnet-s-hr  resnet-s behind a stride-4 stem at 192x144: the same stage maps as resnet-s
//             at 96x72, from twice the pixels per side
//   backbone  a user-supplied TorchScript feature extractor (e.g. torchvision ResNet-50 with
//             ImageNet weights, exported WITHOUT its classifier: `model.fc = nn.Identity()`
//             then torch.jit.script/trace + save). Its output [N,C] or [N,C,h,w] (pooled) feeds
//             SkinScan's new 7-class head; backbone and head are fine-tuned together.
//   ensemble  several trained nets of the same input size (make_ensemble), never trained
//             itself: its "logits" are the log of the mean of the members' calibrated
//             probabilities, so softmax of its output is that mean (temperature 1).
#pragma once

#include <array>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/classes.h"
#include "model/arch_info.h"
#include "model/preprocess.h"
#include "model/torch_fwd.h"

namespace skinscan {

class BatchNormSync;  // model/batch_norm.h

struct NetImpl : torch::nn::Module {
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // Last convolutional feature map [N,C,h,w] and the logits computed from it (Grad-CAM).
  virtual std::pair<torch::Tensor, torch::Tensor> forward_with_features(torch::Tensor x) = 0;
  // Folds every eval-mode BatchNorm into the convolution before it (same outputs, fewer
  // ops). Irreversible: only for serving copies that are never trained or exported.
  virtual void fuse_for_inference() {}
  // Where the dropout masks of training come from: empty = LibTorch's global generator (as
  // nn::Dropout, bit for bit); set = this generator. Data-parallel training gives every copy
  // of the net its own, reseeded each step, so copies running at once draw reproducibly.
  std::optional<at::Generator> dropout_generator;
  // Data-parallel training: this copy (`rank`) of the network normalises, in training mode,
  // with the statistics of the whole batch spread over the copies sharing `sync`
  // (model/batch_norm.h); null = over its own batch. Returns how many BatchNorm layers it set
  // (0 for nets without SkinScan's BatchNorm, e.g. a TorchScript backbone).
  std::size_t share_batch_norm(const std::shared_ptr<BatchNormSync>& sync, std::size_t rank);

 protected:
  // `drop`'s dropout of `x` in training mode (identity in eval mode), its masks drawn from
  // dropout_generator when one is set.
  torch::Tensor dropout(torch::nn::Dropout& drop, const torch::Tensor& x);
};

// Builds an untrained network; `input` must match what the arch supports (seed-cnn: 28x28).
// arch "backbone" needs `backbone_file`, a TorchScript module (throws skinscan::Error
// (invalid_argument) if it cannot be loaded or does not produce features for an input of this
// size).
Net make_net(const std::string& arch, const InputSpec& input,
             const std::string& backbone_file = "");

// One member of an ensemble: its network and its own calibration, folded into the member's
// probabilities softmax((logits + offset) / temperature), offset = prior_adjustment*log_prior.
struct EnsembleMember {
  Net net;
  double temperature = 1.0;
  std::array<float, kNumClasses> offset{};
};

// Members must be non-empty, not ensembles themselves, and accept the same input.
// Their parameters are registered as "m0.*", "m1.*", ... (one weights archive).
Net make_ensemble(std::vector<EnsembleMember> members);

// For a backbone net: saves its TorchScript module to `path` (no-op for other archs).
void save_backbone(const Net& net, const std::string& path);

}  // namespace skinscan
