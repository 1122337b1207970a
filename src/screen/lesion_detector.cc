#include "screen/lesion_detector.h"

#include <filesystem>

#include <torch/torch.h>

namespace skinscan {

namespace {
constexpr double kShrinkage = 1e-3;  // ridge added to the covariance's diagonal (x its mean)
}

struct LesionDetector::Gaussians {
  torch::Tensor means;      // [K,D] float64
  torch::Tensor precision;  // [D,D] float64, what is saved
  // With precision = L L^T (Cholesky), (f - mu) P (f - mu)^T = |f L - mu L|^2: one [D,D]
  // product per row at scoring time instead of one per row and class.
  torch::Tensor whiten;          // L [D,D]
  torch::Tensor whitened_means;  // means L [K,D]

  Gaussians(torch::Tensor m, torch::Tensor p)
      : means(std::move(m)),
        precision(std::move(p)),
        whiten(torch::linalg::cholesky(precision)),
        whitened_means(means.mm(whiten)) {}
};

LesionDetector::LesionDetector(torch::Tensor means, torch::Tensor precision, double threshold)
    : gaussians_(means.defined()
                     ? std::make_shared<const Gaussians>(std::move(means), std::move(precision))
                     : nullptr),
      threshold_(threshold) {}

LesionDetector LesionDetector::fit(const torch::Tensor& train_features,
                                   const std::vector<int>& labels,
                                   const torch::Tensor& val_features, double percentile) {
  const torch::Tensor f = train_features.to(torch::kFloat64);
  const long d = f.size(1);
  std::vector<long> y(labels.begin(), labels.end());
  const torch::Tensor yt = torch::tensor(y);
  std::vector<torch::Tensor> means;
  torch::Tensor centred = torch::zeros_like(f);
  for (long c = 0; c < static_cast<long>(kNumClasses); ++c) {
    const torch::Tensor mask = yt.eq(c);
    if (mask.sum().item<long>() == 0) continue;  // a class absent from training: no mean
    const torch::Tensor mu = f.index({mask}).mean(0);
    means.push_back(mu);
    centred.index_put_({mask}, f.index({mask}) - mu);
  }
  torch::Tensor cov = centred.t().mm(centred) / std::max<long>(1, f.size(0) - 1);
  cov +=
      torch::eye(d, torch::kFloat64) * (kShrinkage * cov.diagonal().mean().item<double>() + 1e-9);
  LesionDetector det(torch::stack(means), torch::linalg::inv(cov), 0.0);
  const torch::Tensor s = det.scores(val_features);
  det.threshold_ = torch::quantile(s, percentile).item<double>();
  return det;
}

torch::Tensor LesionDetector::scores(const torch::Tensor& features) const {
  TORCH_CHECK(!empty(), "scores() of an empty lesion detector");
  const torch::Tensor f = features.to(torch::kFloat64);
  // (f - mu)^T P (f - mu) for every class mean, then the minimum over classes.
  const torch::Tensor diff =
      f.mm(gaussians_->whiten).unsqueeze(1) - gaussians_->whitened_means.unsqueeze(0);  // [N,K,D]
  return std::get<0>(diff.square().sum(2).min(1));
}

void LesionDetector::save(const std::string& model_dir) const {
  TORCH_CHECK(!empty(), "save() of an empty lesion detector");
  torch::serialize::OutputArchive a;
  a.write("means", gaussians_->means);
  a.write("precision", gaussians_->precision);
  a.write("threshold", torch::tensor(threshold_, torch::kFloat64));
  const auto tmp = std::filesystem::path(model_dir) / (std::string(kLesionDetectorFile) + ".tmp");
  a.save_to(tmp.string());
  std::filesystem::rename(tmp, std::filesystem::path(model_dir) / kLesionDetectorFile);
}

LesionDetector LesionDetector::load(const std::string& model_dir, const ModelInfo& info) {
  const auto path = std::filesystem::path(model_dir) / kLesionDetectorFile;
  if (!info.extra.contains("lesion_detector")) return {};
  if (!std::filesystem::exists(path)) {
    throw ModelError("model.json names a lesion detector but " + path.string() + " is missing");
  }
  try {
    torch::serialize::InputArchive a;
    a.load_from(path.string());
    torch::Tensor means, precision, threshold;
    a.read("means", means);
    a.read("precision", precision);
    a.read("threshold", threshold);
    if (means.dim() != 2 || precision.dim() != 2 || precision.size(0) != means.size(1)) {
      throw ModelError(path.string() + ": lesion detector tensors have inconsistent shapes");
    }
    return LesionDetector(means, precision, threshold.item<double>());
  } catch (const c10::Error& e) {
    throw ModelError(path.string() + ": lesion detector is truncated or corrupt: " +
                     std::string(e.what_without_backtrace()).substr(0, 200));
  }
}

}  // namespace skinscan
