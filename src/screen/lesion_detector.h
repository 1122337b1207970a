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
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "model/classifier.h"

namespace skinscan {

inline constexpr const char* kLesionDetectorFile = "lesion_detector.pt";

class LesionDetector {
 public:
  LesionDetector() = default;
  LesionDetector(torch::Tensor means, torch::Tensor precision, double threshold)
      : means_(std::move(means)), precision_(std::move(precision)), threshold_(threshold) {}

  // Fits on training features/labels; the threshold is the `percentile` of val scores.
  static LesionDetector fit(const torch::Tensor& train_features, const std::vector<int>& labels,
                            const torch::Tensor& val_features, double percentile);
  // Loads from a model directory; an absent detector gives an empty() one (no rejection).
  static LesionDetector load(const std::string& model_dir, const ModelInfo& info);
  void save(const std::string& model_dir) const;

  bool empty() const { return !means_.defined(); }
  double threshold() const { return threshold_; }
  // Smallest squared Mahalanobis distance to a class mean, per row of features [N,D].
  torch::Tensor scores(const torch::Tensor& features) const;

 private:
  torch::Tensor means_;      // [K,D] float64
  torch::Tensor precision_;  // [D,D] float64
  double threshold_ = 0;
};

}  // namespace skinscan
