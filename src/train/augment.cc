#include "train/augment.h"

#include <opencv2/imgproc.hpp>

namespace skinscan {

cv::Mat augment(const cv::Mat& rgb, const AugmentOptions& o, std::mt19937& rng) {
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
  if (o.flips) {
    const bool h = u01(rng) < 0.5, v = u01(rng) < 0.5;
    if (h || v) cv::flip(out, out, h && v ? -1 : (h ? 1 : 0));
  }

  // Colour jitter in float: brightness and contrast around the mean, saturation towards
  // the per-pixel grey.
  const double b = 1.0 + o.brightness * u(rng);
  const double c = 1.0 + o.contrast * u(rng);
  const double s = 1.0 + o.saturation * u(rng);
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
        v[k] = t;
      }
      p[x] = v;
    }
  }
  f.convertTo(out, CV_8UC3);  // saturating
  return out;
}

}  // namespace skinscan
