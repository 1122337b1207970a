#include "screen/photo_check.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "data/error.h"

namespace skinscan {

namespace {

constexpr int kWidth = 128, kHeight = 96;  // statistics are taken at this size
constexpr double kRidge = 1e-2;            // added to the standardised covariance's diagonal
constexpr const char* kNames[kPhotoStats] = {"mean_L",
                                             "mean_a",
                                             "mean_b",
                                             "std_L",
                                             "std_a",
                                             "std_b",
                                             "sqrt_white_share",
                                             "sqrt_grey_share",
                                             "border_minus_centre_L",
                                             "sqrt_edge_share",
                                             "sqrt_flat_share",
                                             "sqrt_non_skin_hue_share"};

// What a pixel's 8-bit Lab chroma (a, b, each offset by 128) is, for all 65,536 pairs:
// the per-pixel test below without an atan2 and a hypot per pixel.
constexpr std::uint8_t kGrey = 1, kNonSkin = 2;
using ChromaTable = std::array<std::uint8_t, 256 * 256>;

ChromaTable chroma_table() {
  ChromaTable t{};
  for (int ia = 0; ia < 256; ++ia) {
    for (int ib = 0; ib < 256; ++ib) {
      const double a = ia - 128.0, b = ib - 128.0;
      const double chroma = std::hypot(a, b);
      // Skin, lesions and blood are red-to-yellow (a and b mostly positive); blue-grey veils
      // are dull. Strong blue, green or purple colours are not skin.
      const double hue = std::atan2(b, a) * 180.0 / CV_PI;
      std::uint8_t kind = 0;
      if (chroma < 5) kind |= kGrey;
      if (chroma > 18 && (hue < -25 || hue > 110)) kind |= kNonSkin;
      t[static_cast<std::size_t>(ia) * 256 + static_cast<std::size_t>(ib)] = kind;
    }
  }
  return t;
}

}  // namespace

PhotoStats photo_stats(const cv::Mat& rgb, FieldOfView field_of_view) {
  if (rgb.empty() || rgb.type() != CV_8UC3)
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "photo_stats: RGB image");
  cv::Mat small, lab;
  cv::resize(rgb, small, cv::Size(kWidth, kHeight), 0, 0, cv::INTER_AREA);
  // With the fill, every statistic looks at the lit field only (`lit`); the painted border
  // is one flat colour that would otherwise read as flat, edge-free, skin-hued pixels. The
  // texture statistics also skip a 2-pixel margin inside the lit field, where the
  // dermoscope's dim transition ring leaves edges of its own. A photo with no border is
  // measured whole, exactly as with kAsIs.
  cv::Mat lit(kHeight, kWidth, CV_8U, cv::Scalar(255)), lit_inner = lit;
  if (field_of_view == FieldOfView::kFill) {
    cv::Mat border;
    small = fill_field_of_view(small, &border);
    if (!border.empty()) {
      lit = ~border;
      cv::erode(lit, lit_inner, cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3)),
                {-1, -1}, 2);
    }
  }
  cv::cvtColor(small, lab, cv::COLOR_RGB2Lab);  // 8-bit: L 0..255, a and b offset by 128
  std::vector<cv::Mat> ch;
  cv::split(lab, ch);
  PhotoStats s{};
  cv::Scalar mean, sd;
  cv::meanStdDev(lab, mean, sd, lit);
  for (int c = 0; c < 3; ++c) {
    s[static_cast<std::size_t>(c)] = mean[c];
    s[static_cast<std::size_t>(3 + c)] = sd[c];
  }
  // The fill covers at most kFieldOfViewMaxShare of the image, so both counts are > 0.
  const double n = cv::countNonZero(lit);
  const double n_inner = std::max(1, cv::countNonZero(lit_inner));
  static const ChromaTable kChroma = chroma_table();
  int white = 0, grey = 0, non_skin = 0;
  for (int y = 0; y < kHeight; ++y) {
    const cv::Vec3b* row = lab.ptr<cv::Vec3b>(y);
    const std::uint8_t* in = lit.ptr<std::uint8_t>(y);
    for (int x = 0; x < kWidth; ++x) {
      if (in[x] == 0) continue;
      const std::uint8_t kind = kChroma[static_cast<std::size_t>(row[x][1]) * 256 + row[x][2]];
      white += row[x][0] > 235;
      grey += (kind & kGrey) != 0;
      non_skin += (kind & kNonSkin) != 0;
    }
  }
  s[6] = std::sqrt(white / n);
  s[7] = std::sqrt(grey / n);
  // A lesion photo is centred on something darker than the skin around it. The border ring
  // is the lit part of the outer eighth (all of it when the field of view leaves none lit).
  cv::Mat centre_mask = cv::Mat::zeros(kHeight, kWidth, CV_8U);
  centre_mask(cv::Rect(kWidth / 4, kHeight / 4, kWidth / 2, kHeight / 2)).setTo(255);
  cv::Mat border_mask(kHeight, kWidth, CV_8U, cv::Scalar(255));
  border_mask(cv::Rect(kWidth / 8, kHeight / 8, kWidth * 3 / 4, kHeight * 3 / 4)).setTo(0);
  const auto lit_part = [&lit](const cv::Mat& mask) {
    cv::Mat m = mask & lit;
    return cv::countNonZero(m) > 0 ? m : mask;
  };
  s[8] = cv::mean(ch[0], lit_part(border_mask))[0] - cv::mean(ch[0], lit_part(centre_mask))[0];
  cv::Mat edges, lap;
  cv::Canny(ch[0], edges, 60, 180);
  s[9] = std::sqrt(cv::countNonZero(edges & lit_inner) / n_inner);
  cv::Laplacian(ch[0], lap, CV_16S, 3);
  const cv::Mat flat = cv::abs(lap) < 2;
  s[10] = std::sqrt(cv::countNonZero(flat & lit_inner) / n_inner);
  s[11] = std::sqrt(non_skin / n);
  return s;
}

double PhotoCheck::score(const PhotoStats& s) const {
  std::array<double, kPhotoStats> z{};
  for (std::size_t i = 0; i < kPhotoStats; ++i) z[i] = (s[i] - mean_[i]) / scale_[i];
  double d = 0;
  for (std::size_t i = 0; i < kPhotoStats; ++i) {
    double row = 0;
    for (std::size_t j = 0; j < kPhotoStats; ++j) row += precision_[i * kPhotoStats + j] * z[j];
    d += z[i] * row;
  }
  return d;
}

PhotoCheck PhotoCheck::fit(const std::vector<PhotoStats>& train, const std::vector<PhotoStats>& val,
                           double percentile, FieldOfView field_of_view) {
  if (train.size() < 2 * kPhotoStats || val.empty())
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "photo check: too few training or validation images");
  PhotoCheck p;
  p.field_of_view_ = field_of_view;
  const double n = static_cast<double>(train.size());
  for (const auto& s : train)
    for (std::size_t i = 0; i < kPhotoStats; ++i) p.mean_[i] += s[i] / n;
  for (const auto& s : train)
    for (std::size_t i = 0; i < kPhotoStats; ++i) p.scale_[i] += std::pow(s[i] - p.mean_[i], 2);
  for (auto& v : p.scale_) v = std::max(std::sqrt(v / (n - 1)), 1e-6);
  cv::Mat cov(kPhotoStats, kPhotoStats, CV_64F, cv::Scalar(0));
  for (const auto& s : train) {
    for (std::size_t i = 0; i < kPhotoStats; ++i) {
      for (std::size_t j = 0; j < kPhotoStats; ++j) {
        cov.at<double>(static_cast<int>(i), static_cast<int>(j)) +=
            (s[i] - p.mean_[i]) / p.scale_[i] * (s[j] - p.mean_[j]) / p.scale_[j] / (n - 1);
      }
    }
  }
  cov += cv::Mat::eye(kPhotoStats, kPhotoStats, CV_64F) * kRidge;
  const cv::Mat inv = cov.inv(cv::DECOMP_CHOLESKY);
  p.precision_.assign(inv.begin<double>(), inv.end<double>());
  std::vector<double> scores;
  for (const auto& s : val) scores.push_back(p.score(s));
  std::sort(scores.begin(), scores.end());
  const double pos = std::clamp(percentile, 0.0, 1.0) * static_cast<double>(scores.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, scores.size() - 1);
  p.threshold_ = scores[lo] + (scores[hi] - scores[lo]) * (pos - static_cast<double>(lo));
  return p;
}

nlohmann::ordered_json PhotoCheck::to_json() const {
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const char* n : kNames) names.push_back(n);
  return {{"method",
           "squared Mahalanobis distance of 12 colour/texture statistics (128x96) to the "
           "training images' Gaussian (standardised, ridge 0.01)"},
          {"features", names},
          {"mean", mean_},
          {"scale", scale_},
          {"precision", precision_},
          {"threshold", threshold_},
          {"field_of_view", field_of_view_name(field_of_view_)}};
}

PhotoCheck PhotoCheck::from_json(const nlohmann::json& j) {
  PhotoCheck p;
  if (j.is_null() || !j.contains("precision")) return p;
  p.mean_ = j.at("mean").get<PhotoStats>();
  p.scale_ = j.at("scale").get<PhotoStats>();
  p.precision_ = j.at("precision").get<std::vector<double>>();
  p.threshold_ = j.at("threshold").get<double>();
  // Absent in checks fitted before the field-of-view fill existed: as-is.
  p.field_of_view_ = field_of_view_from_name(j.value("field_of_view", "as-is"));
  if (p.precision_.size() != kPhotoStats * kPhotoStats)
    throw skinscan::Error(skinscan::ErrorCode::kModel,
                          "model.json photo_check: precision must have 144 numbers");
  return p;
}

}  // namespace skinscan
