// JPEG encoding with libjpeg-turbo's TurboJPEG (4:2:0 chroma subsampling, as cameras and
// messaging apps save photos). SkinScan never stores JPEGs it made; the encoder exists to
// re-compress images on purpose: the acquisition-shift evaluation (train/acquisition_shift.h)
// and tests that need real JPEG bytes.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace skinscan {

// `rgb` must be a non-empty CV_8UC3 RGB image and `quality` in [1, 100]; otherwise throws
// Error(kInvalidArgument). Throws Error(kInternal) if the encoder fails.
std::vector<std::uint8_t> encode_jpeg(const cv::Mat& rgb, int quality);

}  // namespace skinscan
