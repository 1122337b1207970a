#include "data/image.h"

#include <fstream>

namespace skinscan {

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
    default:
      return "unknown";
  }
}

const char* format_mime(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kWebp:
      return "image/webp";
    default:
      return "application/octet-stream";
  }
}

std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(where(path, 0, "cannot open file (missing or unreadable)"));
  const std::streamoff size = in.tellg();
  if (size < 0) throw DataError(where(path, 0, "cannot read file"));
  if (size == 0) throw ImageError("empty", where(path, 0, "image is empty (0 bytes)"));
  if (static_cast<std::size_t>(size) > max_bytes) {
    throw ImageError("too_large", where(path, 0,
                                        "file is " + std::to_string(size) +
                                            " bytes; the limit is " + std::to_string(max_bytes)));
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw DataError(where(path, 0, "cannot read file"));
  }
  return bytes;
}

cv::Mat read_image_rgb(const std::string& path, const ImageLimits& limits, int min_side) {
  const auto bytes = read_file_bytes(path, limits.max_bytes);
  try {
    return decode_rgb(bytes, limits, min_side);
  } catch (const ImageError& e) {
    throw ImageError(e.code(), where(path, 0, e.what()));
  }
}

}  // namespace skinscan
