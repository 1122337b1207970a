// A trained model ready to use: network + model.json. The ONE path from pixels to
// calibrated probabilities, shared by evaluation and serving:
//
//   RGB image -> resize_for_model -> to_tensor -> net -> logits
//   logits -> calibrate(): softmax((logits + prior_adjustment * log_prior) / temperature)
//
// Thread-safety: probabilities()/logits() may be called from several threads at once
// (inference only, no autograd, the network is never modified).
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "model/model_dir.h"

namespace skinscan {

// logits [N,7] -> calibrated probabilities [N,7].
torch::Tensor calibrate(const torch::Tensor& logits, const Calibration& c);

class Classifier {
 public:
  // Throws ModelError (see model_dir.h).
  static Classifier load(const std::string& dir);
  Classifier(ModelInfo info, Net net) : info_(std::move(info)), net_(std::move(net)) {}

  const ModelInfo& info() const { return info_; }
  const Net& net() const { return net_; }

  // Logits of any-size RGB images; `tta` averages logits over flips (1, 2 or 4 views).
  torch::Tensor logits(const std::vector<cv::Mat>& rgb, int tta = 1) const;
  // Pooled last-layer features [N,D] and logits [N,7] of a normalised batch (no gradients).
  std::pair<torch::Tensor, torch::Tensor> features_and_logits(const torch::Tensor& batch) const;
  // Averages `identity` (the logits of `batch` itself) with those of its flipped views:
  // horizontal flip for tta 2, plus vertical and both flips for tta >= 4.
  torch::Tensor with_flip_views(const torch::Tensor& batch, const torch::Tensor& identity,
                                int tta) const;
  // Normalised batch of any-size RGB images (resize_for_model + to_tensor).
  torch::Tensor batch(const std::vector<cv::Mat>& rgb) const;
  // Calibrated probabilities [N,7] of any-size RGB images.
  torch::Tensor probabilities(const std::vector<cv::Mat>& rgb, int tta = 1) const;

 private:
  ModelInfo info_;
  Net net_;
};

}  // namespace skinscan
