#include "train/augment.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace skinscan {

AugmentOptions AugmentOptions::strong() {
  AugmentOptions o;
  o.scale_min = 0.8;
  o.scale_max = 1.3;
  o.max_shift = 0.1;
  o.brightness = 0.2;
  o.contrast = 0.2;
  o.saturation = 0.25;
  o.colour_cast = 0.12;
  o.gamma = 0.25;
  o.blur_probability = 0.2;
  o.vignette_probability = 0.2;
  return o;
}

AugmentOptions AugmentOptions::colour() {
  const AugmentOptions strong = AugmentOptions::strong();
  AugmentOptions o;
  o.brightness = strong.brightness;
  o.contrast = strong.contrast;
  o.saturation = strong.saturation;
  o.colour_cast = strong.colour_cast;
  o.gamma = strong.gamma;
  return o;
}

namespace {

// Darkens the image outside a random circle around the centre, as a dermoscope's field
// of view does (black corners at the smallest radii).
void vignette(cv::Mat& f, std::mt19937& rng) {
  std::uniform_real_distribution<double> radius(0.5, 0.75), softness(0.02, 0.15);
  const double r = radius(rng), soft = softness(rng);
  const double cx = f.cols / 2.0, cy = f.rows / 2.0;
  const double diag = std::sqrt(cx * cx + cy * cy);
  for (int y = 0; y < f.rows; ++y) {
    auto* p = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < f.cols; ++x) {
      const double d = std::sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / diag;
      const double t = std::clamp((d - r) / soft, 0.0, 1.0);  // 0 inside, 1 outside
      p[x] *= static_cast<float>(1.0 - t);
    }
  }
}

}  // namespace

cv::Mat augment(const cv::Mat& rgb, const AugmentOptions& o, std::mt19937& rng, cv::Mat* mask) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const double angle = o.max_rotation_deg * u(rng);
  const double scale = o.scale_min + (o.scale_max - o.scale_min) * u01(rng);
  const cv::Point2f centre(rgb.cols / 2.0f, rgb.rows / 2.0f);
  cv::Mat m = cv::getRotationMatrix2D(centre, angle, scale);
  m.at<double>(0, 2) += o.max_shift * rgb.cols * u(rng);
  m.at<double>(1, 2) += o.max_shift * rgb.rows * u(rng);
  cv::Mat out;
  cv::warpAffine(rgb, out, m, rgb.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  if (mask != nullptr && !mask->empty()) {
    cv::Mat warped;
    cv::warpAffine(*mask, warped, m, mask->size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
    *mask = warped;
  }
  if (o.flips) {
    const bool h = u01(rng) < 0.5, v = u01(rng) < 0.5;
    if (h || v) {
      const int code = h && v ? -1 : (h ? 1 : 0);
      cv::flip(out, out, code);
      if (mask != nullptr && !mask->empty()) cv::flip(*mask, *mask, code);
    }
  }

  // Colour jitter in float: brightness and contrast around the mean, saturation towards
  // the per-pixel grey; then a colour cast (per-channel gain) and gamma.
  const double b = 1.0 + o.brightness * u(rng);
  const double c = 1.0 + o.contrast * u(rng);
  const double s = 1.0 + o.saturation * u(rng);
  // Options that are off draw nothing, so the default recipe's random stream is unchanged.
  cv::Vec3f cast(1.0f, 1.0f, 1.0f);
  if (o.colour_cast > 0)
    for (int k = 0; k < 3; ++k) cast[k] = static_cast<float>(1.0 + o.colour_cast * u(rng));
  const double gamma = o.gamma > 0 ? 1.0 + o.gamma * u(rng) : 1.0;
  cv::Mat f;
  out.convertTo(f, CV_32FC3);
  const cv::Scalar mean = cv::mean(f);
  const float grey_mean = static_cast<float>((mean[0] + mean[1] + mean[2]) / 3.0);
  for (int y = 0; y < f.rows; ++y) {
    auto* p = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < f.cols; ++x) {
      cv::Vec3f v = p[x] * static_cast<float>(b);
      const float grey = (v[0] + v[1] + v[2]) / 3.0f;
      for (int k = 0; k < 3; ++k) {
        float t = grey + (v[k] - grey) * static_cast<float>(s);
        t = grey_mean * static_cast<float>(b) +
            (t - grey_mean * static_cast<float>(b)) * static_cast<float>(c);
        v[k] = t * cast[k];
      }
      p[x] = v;
    }
  }
  if (o.gamma > 0) {
    cv::Mat unit = cv::max(f, 0.0f) / 255.0f;
    cv::pow(unit, gamma, unit);
    f = unit * 255.0f;
  }
  if (o.blur_probability > 0 && u01(rng) < o.blur_probability) {
    std::uniform_real_distribution<double> sigma(0.3, 1.2);
    cv::GaussianBlur(f, f, cv::Size(0, 0), sigma(rng));
  }
  if (o.vignette_probability > 0 && u01(rng) < o.vignette_probability) vignette(f, rng);
  f.convertTo(out, CV_8UC3);  // saturating
  return out;
}

AugmentedBatch augment_batch(const std::vector<cv::Mat>& images, const std::vector<cv::Mat>& masks,
                             const std::vector<std::size_t>& indices, const AugmentOptions* options,
                             std::mt19937& rng) {
  const bool with_masks = !masks.empty();
  AugmentedBatch b;
  b.images.reserve(indices.size());
  for (const std::size_t i : indices) {
    cv::Mat mask = with_masks ? masks[i].clone() : cv::Mat();
    b.images.push_back(options ? augment(images[i], *options, rng, with_masks ? &mask : nullptr)
                               : images[i]);
    if (with_masks) b.masks.push_back(mask);
  }
  return b;
}

}  // namespace skinscan
