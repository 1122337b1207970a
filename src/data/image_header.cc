// Format sniffing and header parsing: dimensions (and the JPEG's EXIF orientation) read from
// the first bytes, never decoding a pixel. Every read is bounds-checked: this code sees
// untrusted uploads first.
#include <cstring>

#include "data/image.h"

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

// The Orientation tag (0x0112) of IFD0 in an APP1 "Exif\0\0" payload; 1 when absent or
// unreadable (a damaged EXIF block is metadata, not image data: it is ignored).
int exif_orientation(Bytes app1) {
  if (app1.size() < 6 + 8 || std::memcmp(app1.data(), "Exif\0\0", 6) != 0) return 1;
  const Bytes tiff = app1.subspan(6);
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little = true;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    little = false;
  } else {
    return 1;
  }
  const auto u16 = [&](std::size_t i) { return little ? le16(tiff, i) : be16(tiff, i); };
  const auto u32 = [&](std::size_t i) { return little ? le32(tiff, i) : be32(tiff, i); };
  if (u16(2) != 42) return 1;
  const std::size_t ifd = u32(4);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 1;
  const std::size_t n = u16(ifd);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t e = ifd + 2 + 12 * k;
    if (e + 12 > tiff.size()) return 1;
    if (u16(e) == 0x0112 && u16(e + 2) == 3 /* SHORT */ && u32(e + 4) == 1) {
      const int v = static_cast<int>(u16(e + 8));
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

// Also checks that an end-of-image marker follows the first scan.
ImageHeader jpeg_header(Bytes b) {
  ImageHeader h{ImageFormat::kJpeg, 0, 0, 1};
  std::size_t i = 2;
  std::size_t sos = 0;
  while (true) {
    if (i + 4 > b.size()) truncated("JPEG ends inside its header");
    if (b[i] != 0xFF) corrupt("JPEG marker expected");
    const std::uint8_t m = b[i + 1];
    if (m == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
      i += 2;
      continue;
    }
    if (m == 0xD9) corrupt("JPEG ends before any image data");
    const std::size_t len = be16(b, i + 2);
    if (len < 2) corrupt("JPEG segment length");
    if (i + 2 + len > b.size()) truncated("JPEG ends inside a header segment");
    if (is_sof(m)) {
      if (len < 7) corrupt("JPEG frame header is too short");
      if (h.width != 0) corrupt("JPEG has two frame headers");
      h.height = static_cast<int>(be16(b, i + 5));
      h.width = static_cast<int>(be16(b, i + 7));
    }
    if (m == 0xE1 && h.orientation == 1)
      h.orientation = exif_orientation(b.subspan(i + 4, len - 2));
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
  ImageHeader h{ImageFormat::kPng, static_cast<int>(be32(b, 16)), static_cast<int>(be32(b, 20)), 1};
  if (be32(b, 16) > 0x7FFFFFFF || be32(b, 20) > 0x7FFFFFFF) corrupt("PNG dimensions");
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
  ImageHeader h{ImageFormat::kWebp, 0, 0, 1};
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

}  // namespace skinscan
