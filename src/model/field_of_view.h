// A dermoscope's field of view: the lit circle it photographs, and the dark border (black
// corners or a ring) that many photos keep around it. Part of THE preprocessing
// (model/preprocess.h applies it in to_tensor when InputSpec::field_of_view is kFill) and of
// the photo check (screen/photo_check.h), so both see the same picture. Torch-free.
#pragma once

#include <opencv2/core.hpp>

#include "model/input_spec.h"

namespace skinscan {

// The dark field-of-view border of an RGB image filled with the colour of the skin next to
// it. The border is the set of pixels whose brightest channel is below kFieldOfViewDark and
// that are 4-connected to one of the image's corners (so a dark lesion touching one edge is
// not taken for it), grown by up to max(1, longer side / 48) pixels into the dimmer
// transition ring (brightest channel below kFieldOfViewEdge). It is filled with the mean
// colour of the 3-pixel band of skin outside it. Returns `rgb` itself (no copy) when there
// is no such border, when it would cover more than kFieldOfViewMaxShare of the image (a
// dark photo, not a field of view) or when no skin is left to take the colour from.
inline constexpr int kFieldOfViewDark = 40;
inline constexpr int kFieldOfViewEdge = 96;
inline constexpr double kFieldOfViewMaxShare = 0.6;
// If `border` is given it receives what was painted: a CV_8U mask of `rgb`'s size, 255 on the
// border (grown ring included) and 0 on the lit field, or an empty Mat when nothing was.
cv::Mat fill_field_of_view(const cv::Mat& rgb, cv::Mat* border = nullptr);

}  // namespace skinscan
