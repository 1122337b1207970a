// "Does this look like a dermatoscopic photo at all?" -- a second not-a-lesion check on plain
// colour and texture statistics of the picture, beside the feature-distance LesionDetector.
//
// The classifier's features know lesions, not documents: a white page with two lines of black
// text, a screenshot or a smooth gradient can land near a lesion class. Their pixels cannot:
// they are mostly white or grey, flat, sharp-edged or of non-skin hues. Method: 12 statistics
// of the picture at 128x96 (Lab means and spreads, near-white and grey shares, how much darker
// the centre is than the border, edge density, flat-pixel share, non-skin-hue share), one
// Gaussian fitted on the TRAINING images (standardised, shared covariance with a small ridge);
// an upload's score is its squared Mahalanobis distance, `not_a_lesion` above a threshold set
// at the `percentile` of the VALIDATION images' scores.
//
// Stored in model.json under "photo_check" (means, scales, precision, threshold): no extra file.
// Torch-free (OpenCV only). Immutable after fit/load; score() is thread-safe.
#pragma once

#include <array>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace skinscan {

inline constexpr std::size_t kPhotoStats = 12;
using PhotoStats = std::array<double, kPhotoStats>;

// The statistics of an RGB image (any size, CV_8UC3).
PhotoStats photo_stats(const cv::Mat& rgb);

class PhotoCheck {
 public:
  PhotoCheck() = default;
  // Fits on training statistics; the threshold is the `percentile` of validation scores.
  static PhotoCheck fit(const std::vector<PhotoStats>& train, const std::vector<PhotoStats>& val,
                        double percentile);
  // From model.json's "photo_check" entry; an absent entry gives an empty() check.
  static PhotoCheck from_json(const nlohmann::json& j);
  nlohmann::ordered_json to_json() const;

  bool empty() const { return precision_.empty(); }
  double threshold() const { return threshold_; }
  double score(const PhotoStats& s) const;
  bool rejects(const cv::Mat& rgb) const {
    return !empty() && score(photo_stats(rgb)) > threshold_;
  }

 private:
  PhotoStats mean_{}, scale_{};
  std::vector<double> precision_;  // kPhotoStats x kPhotoStats, row-major
  double threshold_ = 0;
};

}  // namespace skinscan
