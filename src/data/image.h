// Image decoding for every stage: JPEG, PNG and WebP recognised by content (never by
// file name), size checked from the header BEFORE any pixel is decoded, output always
// 8-bit RGB (3 channels, R first) -- the one channel order SkinScan uses.
//
// Contract: decode_rgb either returns a non-empty CV_8UC3 RGB image or throws ImageError
// with a stable machine-readable code:
//   empty        no bytes
//   too_large    byte size or header dimensions over the limits (decompression bomb)
//   unsupported  not a JPEG, PNG or WebP
//   truncated    the file ends before the image data does
//   corrupt      the header or data cannot be decoded
// EXIF orientation is applied; grayscale and alpha are converted to RGB.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/error.h"

namespace skinscan {

class ImageError : public DataError {
 public:
  ImageError(std::string code, const std::string& message)
      : DataError(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp };

struct ImageLimits {
  std::size_t max_bytes = 20u << 20;     // 20 MiB of encoded data
  int max_side = 12000;                  // pixels, either dimension
  std::int64_t max_pixels = 40'000'000;  // width * height
};

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;
  int height = 0;
};

const char* format_name(ImageFormat f);  // "jpeg", "png", "webp", "unknown"
const char* format_mime(ImageFormat f);  // "image/jpeg", ... or "application/octet-stream"
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);

// Parses width and height from the header without decoding. Throws ImageError.
ImageHeader read_image_header(std::span<const std::uint8_t> bytes);

// Decodes to RGB. `min_side` > 0 lets JPEGs be decoded at a reduced DCT scale (1/2,
// 1/4, 1/8) as long as both sides stay >= min_side: the fast path for model input.
// `header`, when given, receives the parsed header (so callers need not parse it again).
cv::Mat decode_rgb(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {},
                   int min_side = 0, ImageHeader* header = nullptr);

// Reads a whole file (throws ImageError "empty"/"too_large", DataError if unreadable).
std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::size_t max_bytes);

// read_file_bytes + decode_rgb; error messages name the file.
cv::Mat read_image_rgb(const std::string& path, const ImageLimits& limits = {}, int min_side = 0);

}  // namespace skinscan
