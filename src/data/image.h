// Image decoding for every stage: JPEG, PNG and WebP recognised by content (never by
// file name), size checked from the header BEFORE any pixel is decoded, output always
// 8-bit RGB (3 channels, R first) -- the one channel order SkinScan uses. Each format has
// its own decoder library (TurboJPEG, libpng, libwebp; image_decode.cc) and bytes are
// never offered to any other decoder: nothing but these three formats is ever parsed.
//
// Contract: decode_rgb either returns a non-empty CV_8UC3 RGB image or throws ImageError
// with a stable machine-readable code:
//   empty        no bytes
//   too_large    byte size or header dimensions over the limits (decompression bomb)
//   unsupported  not a JPEG, PNG or WebP
//   too_small    under ImageLimits' minimum size (too few pixels to screen)
//   truncated    the file ends before the image data does
//   corrupt      the header or data cannot be decoded, or the decoder warned of damage
// JPEG EXIF orientation is applied; grayscale and alpha are converted to RGB (alpha is
// dropped, not composited).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/error.h"

namespace skinscan {

// An image refused with one of the codes above (ErrorCode kEmpty ... kCorrupt); `code()`
// gives the code string as the API shows it.
class ImageError : public DataError {
 public:
  ImageError(const std::string& code, const std::string& message)
      : DataError(message, error_code_from_name(code)), code_(code) {}
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  std::string code_;
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp };

struct ImageLimits {
  std::size_t max_bytes = 20u << 20;     // 20 MiB of encoded data
  int max_side = 12000;                  // pixels, either dimension
  std::int64_t max_pixels = 40'000'000;  // width * height
  int min_long_side = 1;                 // pixels: smaller photos are refused as too_small
  int min_short_side = 1;
};

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;  // as stored
  int height = 0;
  int orientation = 1;  // EXIF 1..8 (JPEG only); 5..8 swap width and height when shown
  int display_width() const { return orientation >= 5 ? height : width; }
  int display_height() const { return orientation >= 5 ? width : height; }
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

// Encodes 8-bit RGB (CV_8UC3) as PNG with libpng (heatmaps, exports). Throws on failure.
std::vector<std::uint8_t> encode_png(const cv::Mat& rgb);

// read_file_bytes + decode_rgb; error messages name the file.
cv::Mat read_image_rgb(const std::string& path, const ImageLimits& limits = {}, int min_side = 0);

}  // namespace skinscan
