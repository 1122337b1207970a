#include "data/image.h"

#include <cstring>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace skinscan {

namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t be16(Bytes b, std::size_t i) { return (b[i] << 8) | b[i + 1]; }
std::uint32_t be32(Bytes b, std::size_t i) { return (be16(b, i) << 16) | be16(b, i + 2); }
std::uint32_t le16(Bytes b, std::size_t i) { return b[i] | (b[i + 1] << 8); }
std::uint32_t le24(Bytes b, std::size_t i) { return le16(b, i) | (b[i + 2] << 16); }
std::uint32_t le32(Bytes b, std::size_t i) { return le24(b, i) | (std::uint32_t(b[i + 3]) << 24); }

[[noreturn]] void truncated(const char* what) {
  throw ImageError("truncated", std::string("image is truncated: ") + what);
}
[[noreturn]] void corrupt(const char* what) {
  throw ImageError("corrupt", std::string("image is corrupt: ") + what);
}

bool is_sof(std::uint8_t m) {
  return (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// Returns header; also checks that an end-of-image marker follows the first scan.
ImageHeader jpeg_header(Bytes b) {
  ImageHeader h{ImageFormat::kJpeg, 0, 0};
  std::size_t i = 2;
  std::size_t sos = 0;
  while (true) {
    if (i + 4 > b.size()) truncated("JPEG ends inside its header");
    if (b[i] != 0xFF) corrupt("JPEG marker expected");
    const std::uint8_t m = b[i + 1];
    if (m == 0xFF) {
      ++i;
      continue;
    }  // fill byte
    if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
      i += 2;
      continue;
    }
    if (m == 0xD9) corrupt("JPEG ends before any image data");
    const std::size_t len = be16(b, i + 2);
    if (len < 2) corrupt("JPEG segment length");
    if (is_sof(m)) {
      if (i + 9 > b.size()) truncated("JPEG ends inside its frame header");
      h.height = static_cast<int>(be16(b, i + 5));
      h.width = static_cast<int>(be16(b, i + 7));
    }
    if (m == 0xDA) {
      sos = i;
      break;
    }
    i += 2 + len;
  }
  if (h.width == 0 || h.height == 0) corrupt("JPEG has no frame size before its scan");
  // The entropy-coded data stuffs 0xFF with 0x00, so an FF D9 after the scan start is
  // the end-of-image marker; a file without one was cut short.
  for (std::size_t j = b.size() - 1; j > sos + 1; --j) {
    if (b[j] == 0xD9 && b[j - 1] == 0xFF) return h;
  }
  truncated("JPEG has no end-of-image marker");
}

ImageHeader png_header(Bytes b) {
  if (b.size() < 24) truncated("PNG ends inside its header");
  if (std::memcmp(b.data() + 12, "IHDR", 4) != 0) corrupt("PNG has no IHDR chunk");
  ImageHeader h{ImageFormat::kPng, static_cast<int>(be32(b, 16)), static_cast<int>(be32(b, 20))};
  // The last chunk must be IEND: length 0, "IEND", CRC.
  if (b.size() < 12 + 33 || std::memcmp(b.data() + b.size() - 8, "IEND", 4) != 0) {
    truncated("PNG has no IEND chunk");
  }
  return h;
}

ImageHeader webp_header(Bytes b) {
  if (b.size() < 30) truncated("WebP ends inside its header");
  const std::size_t riff_size = le32(b, 4);
  if (riff_size + 8 > b.size()) truncated("WebP is shorter than its RIFF size");
  ImageHeader h{ImageFormat::kWebp, 0, 0};
  if (std::memcmp(b.data() + 12, "VP8X", 4) == 0) {
    h.width = static_cast<int>(le24(b, 24) + 1);
    h.height = static_cast<int>(le24(b, 27) + 1);
  } else if (std::memcmp(b.data() + 12, "VP8 ", 4) == 0) {
    if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) corrupt("WebP VP8 start code");
    h.width = static_cast<int>(le16(b, 26) & 0x3FFF);
    h.height = static_cast<int>(le16(b, 28) & 0x3FFF);
  } else if (std::memcmp(b.data() + 12, "VP8L", 4) == 0) {
    if (b[20] != 0x2F) corrupt("WebP VP8L signature");
    const std::uint32_t bits = le32(b, 21);
    h.width = static_cast<int>((bits & 0x3FFF) + 1);
    h.height = static_cast<int>(((bits >> 14) & 0x3FFF) + 1);
  } else {
    corrupt("WebP has no VP8/VP8L/VP8X chunk");
  }
  return h;
}

}  // namespace

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

ImageFormat sniff_format(Bytes b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::kJpeg;
  static const std::uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= 8 && std::memcmp(b.data(), kPngSig, 8) == 0) return ImageFormat::kPng;
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 &&
      std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    return ImageFormat::kWebp;
  }
  return ImageFormat::kUnknown;
}

ImageHeader read_image_header(Bytes b) {
  if (b.empty()) throw ImageError("empty", "image is empty (0 bytes)");
  switch (sniff_format(b)) {
    case ImageFormat::kJpeg:
      return jpeg_header(b);
    case ImageFormat::kPng:
      return png_header(b);
    case ImageFormat::kWebp:
      return webp_header(b);
    default:
      throw ImageError("unsupported", "not a JPEG, PNG or WebP image");
  }
}

cv::Mat decode_rgb(Bytes b, const ImageLimits& limits, int min_side, ImageHeader* header) {
  if (b.empty()) throw ImageError("empty", "image is empty (0 bytes)");
  if (b.size() > limits.max_bytes) {
    throw ImageError("too_large", "image is " + std::to_string(b.size()) + " bytes; the limit is " +
                                      std::to_string(limits.max_bytes));
  }
  const ImageHeader h = read_image_header(b);
  if (header) *header = h;
  if (h.width <= 0 || h.height <= 0) corrupt("zero width or height");
  if (h.width > limits.max_side || h.height > limits.max_side ||
      std::int64_t{h.width} * h.height > limits.max_pixels) {
    throw ImageError("too_large", "image is " + std::to_string(h.width) + "x" +
                                      std::to_string(h.height) + " pixels; the limit is " +
                                      std::to_string(limits.max_pixels) + " pixels and " +
                                      std::to_string(limits.max_side) + " per side");
  }
  int flags = cv::IMREAD_COLOR;
  if (h.format == ImageFormat::kJpeg && min_side > 0) {
    const int shortest = std::min(h.width, h.height);
    if (shortest >= 8 * min_side)
      flags = cv::IMREAD_REDUCED_COLOR_8;
    else if (shortest >= 4 * min_side)
      flags = cv::IMREAD_REDUCED_COLOR_4;
    else if (shortest >= 2 * min_side)
      flags = cv::IMREAD_REDUCED_COLOR_2;
  }
  // imdecode reads without copying; const_cast is safe because the Mat is only read.
  const cv::Mat raw(1, static_cast<int>(b.size()), CV_8UC1, const_cast<std::uint8_t*>(b.data()));
  cv::Mat bgr;
  try {
    bgr = cv::imdecode(raw, flags);
  } catch (const cv::Exception& e) {
    corrupt(e.what());
  }
  if (bgr.empty()) corrupt("the decoder rejected the data");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
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
