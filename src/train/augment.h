// On-the-fly training augmentation of model-sized RGB images (OpenCV), aimed at the
// acquisition shift between clinics: random flips, rotation by any angle, scale and shift
// (one affine warp, reflected borders), colour jitter (brightness, contrast, saturation),
// per-channel colour cast and gamma (other illuminants and cameras), Gaussian blur (focus),
// and a dark dermoscope vignette with black corners. Deterministic for a given RNG state.
//
// A lesion mask (8-bit, same size) may be passed along: it gets the same geometric
// transform (never the photometric ones), so it stays aligned with the augmented image.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

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
  // Acquisition-shift augmentations (0 = off; the "strong" preset turns them on).
  double colour_cast = 0.0;           // per-channel gain in [1 - x, 1 + x]
  double gamma = 0.0;                 // gamma in [1 - x, 1 + x]
  double blur_probability = 0.0;      // Gaussian blur, sigma 0.3-1.2 px
  double vignette_probability = 0.0;  // dark circular field of view, black corners

  // The acquisition-shift preset: wider scale range, colour cast, gamma, blur, vignettes.
  static AugmentOptions strong();
  // strong()'s photometric half alone (its brightness, contrast, saturation, colour cast and
  // gamma) on the default geometry, without blur or vignettes: illuminant and camera shift.
  static AugmentOptions colour();
};

cv::Mat augment(const cv::Mat& rgb, const AugmentOptions& o, std::mt19937& rng,
                cv::Mat* mask = nullptr);

// A training batch's images before THE preprocessing: images[i] for every i of `indices`, in
// order, each through augment() (drawing from `rng` in that order) unless `options` is null
// (then the images themselves). With `masks` non-empty (aligned with `images`) the batch
// carries copies of masks[i] with the same geometric transforms.
struct AugmentedBatch {
  std::vector<cv::Mat> images, masks;
};
AugmentedBatch augment_batch(const std::vector<cv::Mat>& images, const std::vector<cv::Mat>& masks,
                             const std::vector<std::size_t>& indices, const AugmentOptions* options,
                             std::mt19937& rng);

}  // namespace skinscan
