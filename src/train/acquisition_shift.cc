#include "train/acquisition_shift.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <opencv2/imgproc.hpp>

#include "data/error.h"
#include "data/image.h"
#include "data/jpeg_encode.h"

namespace skinscan {

namespace {

// Per-channel gains (R, G, B): a von Kries change of illuminant.
cv::Mat gains(const cv::Mat& rgb, float r, float g, float b) {
  cv::Mat out;
  cv::multiply(rgb, cv::Scalar(r, g, b), out);  // saturating, rounded
  return out;
}

cv::Mat tone_curve(const cv::Mat& rgb, double gamma) {
  cv::Mat lut(1, 256, CV_8U);
  for (int v = 0; v < 256; ++v) {
    lut.at<std::uint8_t>(v) = cv::saturate_cast<std::uint8_t>(255.0 * std::pow(v / 255.0, gamma));
  }
  cv::Mat out;
  cv::LUT(rgb, lut, out);
  return out;
}

cv::Mat sensor_noise(const cv::Mat& rgb, double sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, static_cast<float>(sigma));
  cv::Mat out = rgb.clone();
  for (int y = 0; y < out.rows; ++y) {
    auto* p = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < out.cols * 3; ++x) p[x] = cv::saturate_cast<std::uint8_t>(p[x] + n(rng));
  }
  return out;
}

cv::Mat jpeg_recompress(const cv::Mat& rgb, int quality) {
  const std::vector<std::uint8_t> bytes = encode_jpeg(rgb, quality);
  return decode_rgb(bytes);
}

cv::Mat low_resolution(const cv::Mat& rgb, int factor) {
  cv::Mat small, out;
  cv::resize(rgb, small, cv::Size(std::max(1, rgb.cols / factor), std::max(1, rgb.rows / factor)),
             0, 0, cv::INTER_AREA);
  cv::resize(small, out, rgb.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

// Magnification m > 1: the centre 1/m of each side. m < 1: the photo shrunk to m of each
// side inside a mirrored border of the same skin (more skin around the lesion).
cv::Mat magnify(const cv::Mat& rgb, double m) {
  if (m >= 1.0) {
    const int w = std::max(1, static_cast<int>(std::lround(rgb.cols / m)));
    const int h = std::max(1, static_cast<int>(std::lround(rgb.rows / m)));
    return rgb(cv::Rect((rgb.cols - w) / 2, (rgb.rows - h) / 2, w, h)).clone();
  }
  cv::Mat small, out;
  const int w = std::max(1, static_cast<int>(std::lround(rgb.cols * m)));
  const int h = std::max(1, static_cast<int>(std::lround(rgb.rows * m)));
  cv::resize(rgb, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  const int left = (rgb.cols - w) / 2, top = (rgb.rows - h) / 2;
  cv::copyMakeBorder(small, out, top, rgb.rows - h - top, left, rgb.cols - w - left,
                     cv::BORDER_REFLECT_101);
  return out;
}

// Black outside a circle of `radius` (fraction of the half-diagonal), soft over `soft`.
cv::Mat field_of_view(const cv::Mat& rgb, double radius, double soft) {
  cv::Mat out = rgb.clone();
  const double cx = (rgb.cols - 1) / 2.0, cy = (rgb.rows - 1) / 2.0;
  const double half_diag = std::sqrt(cx * cx + cy * cy);
  for (int y = 0; y < out.rows; ++y) {
    auto* p = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < out.cols; ++x) {
      const double d = std::hypot(x - cx, y - cy) / half_diag;
      const double keep = 1.0 - std::clamp((d - radius) / soft, 0.0, 1.0);
      for (int k = 0; k < 3; ++k) p[x][k] = cv::saturate_cast<std::uint8_t>(p[x][k] * keep);
    }
  }
  return out;
}

}  // namespace

const std::vector<AcquisitionShift>& acquisition_shifts() {
  static const std::vector<AcquisitionShift> kShifts = {
      {"clean", "the photo as decoded", true},
      {"warm", "warmer illuminant: channel gains R 1.20, G 1.00, B 0.78", true},
      {"cool", "cooler illuminant: channel gains R 0.82, G 1.00, B 1.20", true},
      {"dim", "under-exposed: every channel x 0.6", true},
      {"flat", "lighter, flatter tone curve: gamma 0.6", true},
      {"defocus", "Gaussian blur, sigma 1% of the longer side", false},
      {"noise", "sensor noise: Gaussian, sigma 10 of 255 per channel", true},
      {"jpeg", "re-compressed as JPEG at quality 20 (4:2:0)", true},
      {"lowres", "a quarter of the resolution, scaled back up", true},
      {"zoom-in", "higher magnification: the centre 70% of each side", true},
      {"zoom-out", "lower magnification: shrunk to 70% inside mirrored skin", true},
      {"vignette", "dermoscope field of view: black outside 0.6 of the half-diagonal", false},
  };
  return kShifts;
}

const AcquisitionShift& find_acquisition_shift(std::string_view name) {
  std::string names;
  for (const AcquisitionShift& s : acquisition_shifts()) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw Error(ErrorCode::kInvalidArgument,
              "unknown acquisition shift '" + std::string(name) + "' (known: " + names + ")");
}

cv::Mat apply_acquisition_shift(const cv::Mat& rgb, const AcquisitionShift& shift,
                                std::uint64_t seed) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw Error(ErrorCode::kInvalidArgument, "acquisition shifts need a non-empty RGB image");
  }
  const std::string& n = shift.name;
  if (n == "clean") return rgb.clone();
  if (n == "warm") return gains(rgb, 1.20f, 1.00f, 0.78f);
  if (n == "cool") return gains(rgb, 0.82f, 1.00f, 1.20f);
  if (n == "dim") return gains(rgb, 0.6f, 0.6f, 0.6f);
  if (n == "flat") return tone_curve(rgb, 0.6);
  if (n == "defocus") {
    cv::Mat out;
    cv::GaussianBlur(rgb, out, cv::Size(0, 0), 0.01 * std::max(rgb.cols, rgb.rows));
    return out;
  }
  if (n == "noise") return sensor_noise(rgb, 10.0, seed);
  if (n == "jpeg") return jpeg_recompress(rgb, 20);
  if (n == "lowres") return low_resolution(rgb, 4);
  if (n == "zoom-in") return magnify(rgb, 1.0 / 0.7);
  if (n == "zoom-out") return magnify(rgb, 0.7);
  if (n == "vignette") return field_of_view(rgb, 0.6, 0.05);
  throw Error(ErrorCode::kInvalidArgument, "unknown acquisition shift '" + n + "'");
}

}  // namespace skinscan
