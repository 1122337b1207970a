// libFuzzer harness: the upload path as `skinscan serve` runs it on untrusted bytes --
// format sniffing, header check, decode (TurboJPEG / libpng / libwebp), EXIF orientation,
// minimum-size check, reduced JPEG decode for the model, and the resize to the model input.
#include <cstddef>
#include <cstdint>

#include <opencv2/imgproc.hpp>

#include "data/image.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  skinscan::ImageLimits limits;
  limits.max_pixels = 4'000'000;  // keep one input's decode small; the header check is the same
  limits.min_long_side = 96;      // the shipped model's input, 96x72
  limits.min_short_side = 72;
  try {
    skinscan::ImageHeader h;
    const cv::Mat rgb = skinscan::decode_rgb({data, size}, limits, 192, &h);
    if (rgb.empty() || rgb.type() != CV_8UC3) __builtin_trap();  // contract: non-empty RGB
    cv::Mat input;
    cv::resize(rgb, input, cv::Size(96, 72), 0, 0, cv::INTER_AREA);
  } catch (const skinscan::ImageError&) {
    // refused with a stable code: the expected outcome for most inputs
  }
  return 0;
}
