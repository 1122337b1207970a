#include "model/preprocess.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "data/enum_names.h"
#include "data/error.h"
#include "data/parallel.h"
#include "data/progress.h"

namespace skinscan {

const char* recipe_name(Recipe r) {
  switch (r) {
    case Recipe::kSeedTrained:
      return "seed-trained";
    case Recipe::kSeedServed:
      return "seed-served";
    case Recipe::kSkinScan:
      break;
  }
  return "skinscan";
}

Recipe recipe_from_name(const std::string& name) {
  static constexpr std::array<Recipe, 3> kRecipes = {Recipe::kSkinScan, Recipe::kSeedTrained,
                                                     Recipe::kSeedServed};
  return enum_from_name_or_throw(name, kRecipes, recipe_name, "preprocessing recipe");
}

const char* colour_constancy_name(ColourConstancy c) {
  switch (c) {
    case ColourConstancy::kShadesOfGray:
      return "shades-of-gray";
    case ColourConstancy::kShadesOfGrayExposure:
      return "shades-of-gray-exposure";
    case ColourConstancy::kNone:
      break;
  }
  return "none";
}

ColourConstancy colour_constancy_from_name(const std::string& name) {
  return enum_from_name_or_throw(name, kColourConstancies, colour_constancy_name,
                                 "colour constancy");
}

namespace {

// Shades of Gray (p = 6) illuminant estimate of each channel, in [0, 1].
std::array<double, 3> shades_of_gray_estimate(const cv::Mat& rgb) {
  constexpr double kP = 6.0;
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "shades_of_gray_gains needs a non-empty 8-bit RGB image");
  }
  static const std::array<double, 256> kPow = [] {
    std::array<double, 256> t{};
    for (int v = 0; v < 256; ++v) t[v] = std::pow(v / 255.0, kP);
    return t;
  }();
  std::array<double, 3> sum{};
  for (int y = 0; y < rgb.rows; ++y) {
    const std::uint8_t* row = rgb.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x)
      for (int c = 0; c < 3; ++c) sum[c] += kPow[row[3 * x + c]];
  }
  const double n = static_cast<double>(rgb.total());
  std::array<double, 3> e{};
  for (int c = 0; c < 3; ++c) e[c] = std::pow(sum[c] / n, 1.0 / kP);
  return e;
}

// Gains that bring each channel's estimate to `target`; {1,1,1} for a black image.
std::array<float, 3> gains_to(const std::array<double, 3>& e, double target) {
  std::array<float, 3> g = {1.0f, 1.0f, 1.0f};
  if ((e[0] + e[1] + e[2]) / 3.0 <= 1e-6) return g;
  for (int c = 0; c < 3; ++c) {
    // A channel with (almost) no light cannot be balanced: keep it rather than amplify noise.
    g[c] = static_cast<float>(std::clamp(target / std::max(e[c], 1e-6), 0.25, 4.0));
  }
  return g;
}

}  // namespace

std::array<float, 3> shades_of_gray_gains(const cv::Mat& rgb) {
  const std::array<double, 3> e = shades_of_gray_estimate(rgb);
  return gains_to(e, (e[0] + e[1] + e[2]) / 3.0);
}

std::array<float, 3> shades_of_gray_exposure_gains(const cv::Mat& rgb) {
  return gains_to(shades_of_gray_estimate(rgb), kExposureTarget);
}

std::array<float, 3> colour_constancy_gains(const cv::Mat& rgb, ColourConstancy colour) {
  switch (colour) {
    case ColourConstancy::kShadesOfGray:
      return shades_of_gray_gains(rgb);
    case ColourConstancy::kShadesOfGrayExposure:
      return shades_of_gray_exposure_gains(rgb);
    case ColourConstancy::kNone:
      break;
  }
  return {1.0f, 1.0f, 1.0f};
}

cv::Mat resize_for_model(const cv::Mat& rgb, const InputSpec& spec) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "resize_for_model needs a non-empty 8-bit RGB image");
  }
  if (rgb.cols == spec.width && rgb.rows == spec.height) return rgb;
  cv::Mat out;
  const bool shrinking = rgb.cols >= spec.width && rgb.rows >= spec.height;
  cv::resize(rgb, out, cv::Size(spec.width, spec.height), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

torch::Tensor to_tensor(const std::vector<cv::Mat>& images, const InputSpec& spec) {
  const auto n = static_cast<long>(images.size());
  torch::Tensor t = torch::empty({n, 3, spec.height, spec.width}, torch::kFloat32);
  float* out = t.data_ptr<float>();
  const std::size_t plane = static_cast<std::size_t>(spec.width) * spec.height;
  float scale[3], shift[3];
  int from[3];  // source channel of each input plane
  for (int c = 0; c < 3; ++c) {
    from[c] = spec.bgr ? 2 - c : c;
    scale[c] = 1.0f / (255.0f * spec.std[c]);
    shift[c] = -spec.mean[c] / spec.std[c];
  }
  for (std::size_t i = 0; i < images.size(); ++i) {
    const cv::Mat& m = images[i];
    if (m.cols != spec.width || m.rows != spec.height || m.type() != CV_8UC3) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "to_tensor: image is not model-sized RGB");
    }
    const cv::Mat src = spec.field_of_view == FieldOfView::kFill ? fill_field_of_view(m) : m;
    const std::array<float, 3> gain = colour_constancy_gains(src, spec.colour);  // source channels
    float* base = out + i * 3 * plane;
    for (int y = 0; y < spec.height; ++y) {
      const std::uint8_t* row = src.ptr<std::uint8_t>(y);
      for (int x = 0; x < spec.width; ++x) {
        const std::size_t p = static_cast<std::size_t>(y) * spec.width + x;
        for (int c = 0; c < 3; ++c) {
          // Balanced values are clipped to the 8-bit range, as a corrected photo would be.
          const float v = std::min(255.0f, row[3 * x + from[c]] * gain[from[c]]);
          base[c * plane + p] = v * scale[c] + shift[c];
        }
      }
    }
  }
  return t;
}

int min_decode_side(const InputSpec& spec) { return 2 * std::max(spec.width, spec.height); }

std::vector<cv::Mat> load_model_inputs(const Dataset& ds, const std::vector<std::size_t>& indices,
                                       const InputSpec& spec, bool progress) {
  std::vector<cv::Mat> out(indices.size());
  Progress bar("Loading images", indices.size());
  const bool show = progress && bar.enabled();
  parallel_for(indices.size(), [&](std::size_t k) {
    out[k] = resize_for_model(load_image(ds, indices[k], {}, min_decode_side(spec)), spec);
    if (show) bar.advance();
  });
  return out;
}

}  // namespace skinscan
