// A fixed suite of acquisition shifts: deterministic changes to a photo of the kind that
// separates one clinic's dermoscope and camera from another's (illuminant, exposure, tone
// curve, focus, sensor noise, compression, resolution, magnification, field of view).
// `skinscan evaluate --shift` scores a model on the same labelled images under each, so
// recipes can be compared on how they hold up outside their own acquisition conditions, a
// proxy for photos from other sources, which no cross-validation fold contains.
//
// Contract: apply_acquisition_shift(rgb, shift, seed) takes any-size CV_8UC3 RGB (the
// decoded photo, BEFORE the model's preprocessing, so colour constancy and the resize see the
// shifted photo as they would a real one) and returns a new CV_8UC3 RGB image; the same
// (image, shift, seed) always gives the same pixels. "clean" returns a copy. Severities are
// fixed here, chosen once (2026-12-07) before any model was scored under them; changing one
// changes what every earlier figure meant, so add a shift instead.
//
// `outside_strong_augment` marks the shifts whose kind or severity lies outside what
// `--strong-augment` (train/augment.h) draws in training; a recipe trained with it has seen
// the others, so comparisons of recipes are fair only on the marked ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

namespace skinscan {

struct AcquisitionShift {
  std::string name;         // "warm", "jpeg", ...
  std::string description;  // what it does, with its severity
  bool outside_strong_augment = true;
};

// Every shift, "clean" first, in a fixed order.
const std::vector<AcquisitionShift>& acquisition_shifts();

// The shift named `name`; throws Error(kInvalidArgument) listing the names if unknown.
const AcquisitionShift& find_acquisition_shift(std::string_view name);

// `seed` drives the random parts (sensor noise only): pass the image's index.
cv::Mat apply_acquisition_shift(const cv::Mat& rgb, const AcquisitionShift& shift,
                                std::uint64_t seed);

}  // namespace skinscan
