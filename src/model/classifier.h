// A trained model ready to use: network + model.json. The ONE path from pixels to
// calibrated probabilities, shared by evaluation and serving:
//
//   RGB image -> resize_for_model -> to_tensor -> net -> logits
//   logits -> calibrate(): softmax((logits + prior_adjustment * log_prior) / temperature)
//
// Thread-safety: probabilities()/logits() may be called from several threads at once
// (inference only, no autograd, the network is never modified).
//
// This header is torch-free: the network is held through its handle (Net) and the tensor
// methods are declared on forward-declared types (model/torch_fwd.h), so code that only
// loads a model and reads its info compiles without LibTorch. Code that calls the tensor
// methods, uses net() or calibrate() includes model/classifier_torch.h.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "model/model_info.h"
#include "model/torch_fwd.h"

namespace skinscan {

class Classifier {
 public:
  // Throws ModelError (see model/model_info.h and model/model_dir.h).
  static Classifier load(const std::string& dir);
  Classifier(ModelInfo info, Net net) : info_(std::move(info)), net_(std::move(net)) {}

  const ModelInfo& info() const { return info_; }
  const Net& net() const { return net_; }

  // Logits of any-size RGB images; `tta` averages logits over flips (1, 2 or 4 views).
  at::Tensor logits(const std::vector<cv::Mat>& rgb, int tta = 1) const;
  // Pooled last-layer features [N,D] and logits [N,7] of a normalised batch (no gradients).
  std::pair<at::Tensor, at::Tensor> features_and_logits(const at::Tensor& batch) const;
  // Averages `identity` (the logits of `batch` itself) with those of its flipped views:
  // horizontal flip for tta 2, plus vertical and both flips for tta >= 4.
  at::Tensor with_flip_views(const at::Tensor& batch, const at::Tensor& identity, int tta) const;
  // Normalised batch of any-size RGB images (resize_for_model + to_tensor).
  at::Tensor batch(const std::vector<cv::Mat>& rgb) const;
  // Calibrated probabilities [N,7] of any-size RGB images.
  at::Tensor probabilities(const std::vector<cv::Mat>& rgb, int tta = 1) const;

 private:
  ModelInfo info_;
  Net net_;
};

}  // namespace skinscan
