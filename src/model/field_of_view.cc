#include "model/field_of_view.h"

#include <algorithm>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "data/enum_names.h"
#include "data/error.h"

namespace skinscan {

const char* field_of_view_name(FieldOfView f) { return f == FieldOfView::kFill ? "fill" : "as-is"; }

FieldOfView field_of_view_from_name(const std::string& name) {
  return enum_from_name_or_throw(name, kFieldsOfView, field_of_view_name, "field of view");
}

namespace {

// The border (grown) and the skin band outside it; both empty when there is nothing to fill.
struct Border {
  cv::Mat region, band;
};

Border find_border(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "fill_field_of_view needs a non-empty 8-bit RGB image");
  }
  cv::Mat brightest(rgb.size(), CV_8U);
  for (int y = 0; y < rgb.rows; ++y) {
    const auto* p = rgb.ptr<cv::Vec3b>(y);
    auto* b = brightest.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x) b[x] = std::max({p[x][0], p[x][1], p[x][2]});
  }
  const cv::Mat dark = brightest < kFieldOfViewDark;
  cv::Mat labels;
  const int n = cv::connectedComponents(dark, labels, 4, CV_32S);
  std::vector<bool> border(static_cast<std::size_t>(n), false);
  for (const cv::Point corner :
       {cv::Point(0, 0), cv::Point(rgb.cols - 1, 0), cv::Point(0, rgb.rows - 1),
        cv::Point(rgb.cols - 1, rgb.rows - 1)}) {
    const int label = labels.at<int>(corner);
    if (label > 0) border[static_cast<std::size_t>(label)] = true;  // label 0: not dark
  }
  cv::Mat region = cv::Mat::zeros(rgb.size(), CV_8U);
  for (int y = 0; y < rgb.rows; ++y) {
    const int* l = labels.ptr<int>(y);
    auto* r = region.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x) r[x] = border[static_cast<std::size_t>(l[x])] ? 255 : 0;
  }
  const int share = cv::countNonZero(region);
  if (share == 0 || share > kFieldOfViewMaxShare * static_cast<double>(rgb.total())) return {};
  // Grow into the transition ring one pixel at a time, only through dim pixels.
  const cv::Mat dim = brightest < kFieldOfViewEdge;
  const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
  const int grow = std::max(1, std::max(rgb.cols, rgb.rows) / 48);
  for (int i = 0; i < grow; ++i) {
    cv::Mat grown;
    cv::dilate(region, grown, cross);
    region = (grown & dim) | region;
  }
  cv::Mat band;
  cv::dilate(region, band, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
  band &= ~region;
  if (cv::countNonZero(band) == 0) return {};
  return {region, band};
}

}  // namespace

cv::Mat fill_field_of_view(const cv::Mat& rgb, cv::Mat* border) {
  const Border b = find_border(rgb);
  if (border != nullptr) *border = b.region;
  if (b.region.empty()) return rgb;
  cv::Mat out = rgb.clone();
  out.setTo(cv::mean(rgb, b.band), b.region);
  return out;
}

}  // namespace skinscan
