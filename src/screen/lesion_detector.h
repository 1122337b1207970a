// "Is this a dermatoscopic lesion photo at all?" -- a feature-distance detector.
//
// Method: the classifier's pooled last-layer features of the TRAINING images define one
// Gaussian per class with a shared covariance (Lee et al. 2018, "A simple unified framework
// for detecting out-of-distribution samples"). An upload's score is its smallest squared
// Mahalanobis distance to a class mean; it is `not_a_lesion` when the score exceeds a
// threshold set at the `percentile` of the VALIDATION images' scores (so about
// 1 - percentile of real lesions are falsely rejected). Charts, documents, blank or noise
// images and ordinary photos land far from every lesion class.
//
// Stored in the model directory as lesion_detector.pt (means, precision matrix) plus a
// "lesion_detector" entry in model.json (threshold, percentile, validation rejection rate).
//
// Torch-free header: the fitted Gaussians (tensors) live behind a pointer defined in
// lesion_detector.cc; fit() and scores() take and return tensors declared in
// model/torch_fwd.h, so their callers include <torch/torch.h>. Immutable after fit/load;
// copies share the Gaussians; scores() is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/model_info.h"
#include "model/torch_fwd.h"

namespace skinscan {

inline constexpr const char* kLesionDetectorFile = "lesion_detector.pt";

class LesionDetector {
 public:
  LesionDetector() = default;
  // means [K,D] and precision [D,D] (float64); undefined tensors give an empty() detector.
  LesionDetector(at::Tensor means, at::Tensor precision, double threshold);

  // Fits on training features/labels; the threshold is the `percentile` of val scores.
  static LesionDetector fit(const at::Tensor& train_features, const std::vector<int>& labels,
                            const at::Tensor& val_features, double percentile);
  // Loads from a model directory; an absent detector gives an empty() one (no rejection).
  // Throws ModelError for a missing, truncated or inconsistent file, including a precision
  // matrix that is not positive definite (scores() works through its Cholesky factor).
  static LesionDetector load(const std::string& model_dir, const ModelInfo& info);
  void save(const std::string& model_dir) const;

  bool empty() const { return gaussians_ == nullptr; }
  double threshold() const { return threshold_; }
  // Smallest squared Mahalanobis distance to a class mean, per row of features [N,D].
  // scores() and save() need a fitted detector (c10::Error when empty()).
  at::Tensor scores(const at::Tensor& features) const;

 private:
  struct Gaussians;  // the class means [K,D] and shared precision [D,D], float64
  std::shared_ptr<const Gaussians> gaussians_;
  double threshold_ = 0;
};

}  // namespace skinscan
