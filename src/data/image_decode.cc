// Pixel decoding of the three accepted formats, each through its own library and nothing
// else: TurboJPEG (libjpeg-turbo), libpng's simplified API, libwebp. A decoder can never
// hand the bytes to another format's decoder (OpenCV's imdecode did, and reached GDCM's
// DICOM reader, which aborts the process on crafted input). Decoder warnings that mean
// damaged data (a truncated or corrupt scan) are errors: a damaged photo is refused,
// never screened.
#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "data/image.h"

namespace skinscan {

namespace {

using Bytes = std::span<const std::uint8_t>;

[[noreturn]] void corrupt(const std::string& what) {
  throw ImageError("corrupt", "image is corrupt: " + what);
}

// libjpeg's words for a scan that ends early, as TurboJPEG reports them.
bool means_truncated(const std::string& msg) {
  return msg.find("Premature end") != std::string::npos;
}

cv::Mat decode_jpeg(Bytes b, const ImageHeader& h, int min_side) {
  const std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  if (!tj) throw std::bad_alloc();
  int w = 0, hgt = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), b.data(), static_cast<unsigned long>(b.size()), &w, &hgt,
                          &subsamp, &colorspace) != 0) {
    corrupt(std::string("JPEG header: ") + tjGetErrorStr2(tj.get()));
  }
  if (w != h.width || hgt != h.height) corrupt("JPEG frame size disagrees with its header");
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    throw ImageError("unsupported", "CMYK JPEGs are not supported; save the photo as RGB");
  }
  // The smallest DCT scale (1/8, 1/4, 1/2) that keeps the shorter side >= min_side.
  tjscalingfactor sf{1, 1};
  if (min_side > 0) {
    const int shortest = std::min(w, hgt);
    for (const int d : {8, 4, 2}) {
      if (shortest >= d * min_side) {
        sf = {1, d};
        break;
      }
    }
  }
  const int ow = TJSCALED(w, sf), oh = TJSCALED(hgt, sf);
  cv::Mat rgb(oh, ow, CV_8UC3);
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj.get(), b.data(), static_cast<unsigned long>(b.size()), rgb.data, ow,
                    static_cast<int>(rgb.step), oh, TJPF_RGB, flags) != 0) {
    const std::string msg = tjGetErrorStr2(tj.get());
    if (means_truncated(msg)) throw ImageError("truncated", "image is truncated: JPEG: " + msg);
    corrupt("JPEG: " + msg);
  }
  return rgb;
}

// libpng warnings about colour-profile metadata (iCCP/sRGB/gAMA/cHRM) describe how colours
// are tagged, not damaged pixels: those are accepted; every other warning is an error.
bool benign_png_warning(const char* msg) {
  for (const char* w : {"iCCP", "sRGB", "gAMA", "cHRM", "profile"}) {
    if (std::strstr(msg, w)) return true;
  }
  return false;
}

cv::Mat decode_png(Bytes b, const ImageHeader& h) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  struct Free {
    png_image* p;
    ~Free() { png_image_free(p); }
  } guard{&img};
  if (!png_image_begin_read_from_memory(&img, b.data(), b.size())) {
    corrupt(std::string("PNG: ") + img.message);
  }
  if (static_cast<int>(img.width) != h.width || static_cast<int>(img.height) != h.height) {
    corrupt("PNG size disagrees with its header");
  }
  // RGBA then drop alpha: transparent pixels keep their colour (no compositing).
  img.format = PNG_FORMAT_RGBA;
  cv::Mat rgba(h.height, h.width, CV_8UC4);
  if (!png_image_finish_read(&img, nullptr, rgba.data, static_cast<png_int_32>(rgba.step),
                             nullptr)) {
    const std::string msg = img.message;
    if (msg.find("Not enough image data") != std::string::npos ||
        msg.find("Read Error") != std::string::npos) {
      throw ImageError("truncated", "image is truncated: PNG: " + msg);
    }
    corrupt("PNG: " + msg);
  }
  if ((img.warning_or_error & PNG_IMAGE_WARNING) && !benign_png_warning(img.message)) {
    corrupt(std::string("PNG: ") + img.message);
  }
  cv::Mat rgb;
  cv::cvtColor(rgba, rgb, cv::COLOR_RGBA2RGB);
  return rgb;
}

cv::Mat decode_webp(Bytes b, const ImageHeader& h) {
  WebPBitstreamFeatures f;
  const VP8StatusCode st = WebPGetFeatures(b.data(), b.size(), &f);
  if (st == VP8_STATUS_NOT_ENOUGH_DATA) {
    throw ImageError("truncated", "image is truncated: WebP ends early");
  }
  if (st != VP8_STATUS_OK) corrupt("WebP bitstream (status " + std::to_string(st) + ")");
  if (f.has_animation) throw ImageError("unsupported", "animated WebP is not supported");
  if (f.width != h.width || f.height != h.height) corrupt("WebP size disagrees with its header");
  cv::Mat rgb(h.height, h.width, CV_8UC3);
  if (!WebPDecodeRGBInto(b.data(), b.size(), rgb.data, rgb.total() * rgb.elemSize(),
                         static_cast<int>(rgb.step))) {
    corrupt("WebP data could not be decoded");
  }
  return rgb;
}

cv::Mat apply_orientation(cv::Mat m, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(m, out, 1);
      return out;
    case 3:
      cv::rotate(m, out, cv::ROTATE_180);
      return out;
    case 4:
      cv::flip(m, out, 0);
      return out;
    case 5:
      cv::transpose(m, out);
      return out;
    case 6:
      cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:
      cv::transpose(m, out);
      cv::rotate(out, out, cv::ROTATE_180);
      return out;
    case 8:
      cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return m;
  }
}

}  // namespace

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
  if (std::min(h.width, h.height) < limits.min_short_side ||
      std::max(h.width, h.height) < limits.min_long_side) {
    throw ImageError("too_small", "the photo is " + std::to_string(h.display_width()) + "x" +
                                      std::to_string(h.display_height()) + " pixels; at least " +
                                      std::to_string(limits.min_long_side) + "x" +
                                      std::to_string(limits.min_short_side) +
                                      " is needed to screen it");
  }
  cv::Mat rgb;
  switch (h.format) {
    case ImageFormat::kJpeg:
      rgb = decode_jpeg(b, h, min_side);
      break;
    case ImageFormat::kPng:
      rgb = decode_png(b, h);
      break;
    case ImageFormat::kWebp:
      rgb = decode_webp(b, h);
      break;
    default:
      throw ImageError("unsupported", "not a JPEG, PNG or WebP image");
  }
  return apply_orientation(std::move(rgb), h.orientation);
}

}  // namespace skinscan
