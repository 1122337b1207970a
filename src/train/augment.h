// On-the-fly training augmentation of model-sized RGB images (OpenCV): random flips,
// rotation by any angle, scale and shift (one affine warp, reflected borders), and colour
// jitter (brightness, contrast, saturation). Deterministic for a given RNG state.
#pragma once

#include <random>

#include <opencv2/core.hpp>

namespace skinscan {

struct AugmentOptions {
  bool flips = true;
  double max_rotation_deg = 180;  // dermoscopy has no "up"
  double scale_min = 0.9, scale_max = 1.15;
  double max_shift = 0.08;   // fraction of the side
  double brightness = 0.15;  // +- fraction
  double contrast = 0.15;
  double saturation = 0.15;
};

cv::Mat augment(const cv::Mat& rgb, const AugmentOptions& o, std::mt19937& rng);

}  // namespace skinscan
