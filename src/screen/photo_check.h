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
// Field of view: a check fitted for a model whose preprocessing fills a dermoscope's dark
// border (model/field_of_view.h) finds that border too, after its 128x96 resize, and takes
// every statistic over the lit field only, so a black-cornered photo scores like the same
// photo without its corners (a photo without a border is measured whole, as with kAsIs);
// the check records which it was fitted with ("field_of_view"), and the engine refuses a
// model whose check and input disagree.
//
// Stored in model.json under "photo_check" (means, scales, precision, threshold, field of
// view): no extra file.
// Torch-free (OpenCV only). Immutable after fit/load; score() is thread-safe.
#pragma once

#include <array>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "model/field_of_view.h"

namespace skinscan {

inline constexpr std::size_t kPhotoStats = 12;
using PhotoStats = std::array<double, kPhotoStats>;

// The statistics of an RGB image (any size, CV_8UC3); with FieldOfView::kFill, of its lit
// field only.
PhotoStats photo_stats(const cv::Mat& rgb, FieldOfView field_of_view = FieldOfView::kAsIs);

class PhotoCheck {
 public:
  PhotoCheck() = default;
  // Fits on training statistics (computed with `field_of_view`); the threshold is the
  // `percentile` of validation scores.
  static PhotoCheck fit(const std::vector<PhotoStats>& train, const std::vector<PhotoStats>& val,
                        double percentile, FieldOfView field_of_view = FieldOfView::kAsIs);
  // From model.json's "photo_check" entry; an absent entry gives an empty() check.
  static PhotoCheck from_json(const nlohmann::json& j);
  nlohmann::ordered_json to_json() const;

  bool empty() const { return precision_.empty(); }
  double threshold() const { return threshold_; }
  FieldOfView field_of_view() const { return field_of_view_; }
  double score(const PhotoStats& s) const;
  // The statistics this check scores: photo_stats with its field of view.
  PhotoStats stats(const cv::Mat& rgb) const { return photo_stats(rgb, field_of_view_); }
  bool rejects(const cv::Mat& rgb) const { return !empty() && score(stats(rgb)) > threshold_; }

 private:
  PhotoStats mean_{}, scale_{};
  std::vector<double> precision_;  // kPhotoStats x kPhotoStats, row-major
  double threshold_ = 0;
  FieldOfView field_of_view_ = FieldOfView::kAsIs;
};

}  // namespace skinscan
