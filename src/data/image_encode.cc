// PNG encoding with libpng's simplified API (SkinScan writes only PNG: heatmaps, exports).
#include <png.h>

#include <cstring>
#include <stdexcept>

#include "data/error.h"
#include "data/image.h"

namespace skinscan {

std::vector<std::uint8_t> encode_png(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "encode_png needs a non-empty 8-bit RGB image");
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(rgb.cols);
  img.height = static_cast<png_uint_32>(rgb.rows);
  img.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  const auto stride = static_cast<png_int_32>(rgb.step / rgb.elemSize1());
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, rgb.data, stride, nullptr)) {
    throw skinscan::Error(skinscan::ErrorCode::kInternal,
                          std::string("PNG encoding failed: ") + img.message);
  }
  std::vector<std::uint8_t> out(size);
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, rgb.data, stride, nullptr)) {
    throw skinscan::Error(skinscan::ErrorCode::kInternal,
                          std::string("PNG encoding failed: ") + img.message);
  }
  out.resize(size);
  return out;
}

}  // namespace skinscan
