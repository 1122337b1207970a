#include "model/classifier_torch.h"

namespace skinscan {

torch::Tensor calibrate(const torch::Tensor& logits, const Calibration& c) {
  torch::Tensor adjusted = logits;
  if (c.prior_adjustment != 0.0) {
    std::vector<float> lp(c.log_prior.begin(), c.log_prior.end());
    adjusted = logits + c.prior_adjustment *
                            torch::tensor(lp, torch::kFloat32).to(logits.device()).unsqueeze(0);
  }
  return torch::softmax(adjusted / c.temperature, 1);
}

Classifier Classifier::load(const std::string& dir) {
  ModelInfo info = load_model_info(dir);
  Net net = load_weights(dir, info);
  return Classifier(std::move(info), std::move(net));
}

std::pair<torch::Tensor, torch::Tensor> Classifier::features_and_logits(
    const torch::Tensor& batch) const {
  torch::NoGradGuard no_grad;
  auto [f, logits] = net_->forward_with_features(batch);
  return {f.dim() == 4 ? f.mean({2, 3}) : f, logits};
}

torch::Tensor Classifier::batch(const std::vector<cv::Mat>& rgb) const {
  std::vector<cv::Mat> sized;
  sized.reserve(rgb.size());
  for (const auto& m : rgb) sized.push_back(resize_for_model(m, info_.input));
  return to_tensor(sized, info_.input);
}

torch::Tensor Classifier::with_flip_views(const torch::Tensor& x, const torch::Tensor& identity,
                                          int tta) const {
  if (tta <= 1) return identity;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> views = {x.flip({3})};
  if (tta >= 4) {
    views.push_back(x.flip({2}));
    views.push_back(x.flip({2, 3}));
  }
  torch::Tensor sum = identity.clone();
  for (const auto& v : views) sum += net_->forward(v);
  return sum / static_cast<double>(views.size() + 1);
}

torch::Tensor Classifier::logits(const std::vector<cv::Mat>& rgb, int tta) const {
  const torch::Tensor x = batch(rgb);
  torch::NoGradGuard no_grad;
  return with_flip_views(x, net_->forward(x), tta);
}

torch::Tensor Classifier::probabilities(const std::vector<cv::Mat>& rgb, int tta) const {
  return calibrate(logits(rgb, tta), info_.calibration);
}

}  // namespace skinscan
