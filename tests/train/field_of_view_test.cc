// The field-of-view fill of THE preprocessing (model/preprocess.h) on synthetic borders
// and on real HAM10000 photos with their lesion masks: it paints a dermoscope's dark border
// with the skin next to it, leaves photos without one untouched, and does not eat lesions.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "data/dataset.h"
#include "data/image.h"
#include "model/classifier_torch.h"
#include "model/preprocess.h"
#include "support/paths.h"
#include "train/acquisition_shift.h"
#include "train/masks.h"

namespace skinscan {
namespace {

const cv::Vec3b kSkin(200, 150, 130);

// A skin-coloured model-sized image with a black border outside a centred circle.
cv::Mat dermoscope_photo(int radius) {
  cv::Mat img(72, 96, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::circle(img, {48, 36}, radius, cv::Scalar(kSkin[0], kSkin[1], kSkin[2]), -1);
  return img;
}

// 255 where fill_field_of_view changes the pixel of `rgb`.
cv::Mat changed_mask(const cv::Mat& rgb) {
  cv::Mat diff;
  cv::absdiff(fill_field_of_view(rgb), rgb, diff);
  cv::Mat any;
  cv::transform(diff, any, cv::Matx13f(1, 1, 1));
  return any > 0;
}

int changed_pixels(const cv::Mat& rgb) { return cv::countNonZero(changed_mask(rgb)); }

TEST(FieldOfView, FillsBlackCornersWithTheSkinNextToThem) {
  const cv::Mat photo = dermoscope_photo(40);
  const cv::Mat filled = fill_field_of_view(photo);
  for (const cv::Point corner : {cv::Point(0, 0), cv::Point(95, 0), cv::Point(0, 71)}) {
    const cv::Vec3b v = filled.at<cv::Vec3b>(corner);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(v[c], kSkin[c], 1) << corner;
  }
  EXPECT_EQ(filled.at<cv::Vec3b>(36, 48), kSkin);
  EXPECT_EQ(photo.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));  // the input is not modified
}

TEST(FieldOfView, LeavesPhotosWithoutABorderAndDarkPhotosAlone) {
  const cv::Mat skin(72, 96, CV_8UC3, cv::Scalar(kSkin[0], kSkin[1], kSkin[2]));
  EXPECT_EQ(changed_pixels(skin), 0);
  // A dark lesion in the middle, and one that touches an edge but no corner.
  cv::Mat lesions = skin.clone();
  cv::circle(lesions, {48, 36}, 12, cv::Scalar(10, 10, 10), -1);
  cv::circle(lesions, {48, 0}, 10, cv::Scalar(10, 10, 10), -1);
  EXPECT_EQ(changed_pixels(lesions), 0);
  // Black, or a tiny lit circle (most of the photo dark): not a field of view to fill.
  const cv::Mat black(72, 96, CV_8UC3, cv::Scalar(0, 0, 0));
  EXPECT_EQ(changed_pixels(black), 0);
  const cv::Mat pinhole = dermoscope_photo(15);
  EXPECT_EQ(changed_pixels(pinhole), 0);
  EXPECT_THROW(fill_field_of_view(cv::Mat()), skinscan::Error);
  EXPECT_THROW(fill_field_of_view(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0))), skinscan::Error);
  EXPECT_EQ(field_of_view_from_name("fill"), FieldOfView::kFill);
  EXPECT_EQ(field_of_view_from_name("as-is"), FieldOfView::kAsIs);
  EXPECT_THROW(field_of_view_from_name("crop"), skinscan::Error);
}

// Real photos: a dermoscope's black field of view (the acquisition-shift suite's vignette,
// applied to the decoded photo) moves the model input far less once filled, and the fill
// changes almost no lesion pixel, on photos with a border of their own or not.
TEST(FieldOfView, OnRealPhotosUndoesMostOfAVignetteAndKeepsTheLesion) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  InputSpec plain;
  InputSpec fill = plain;
  fill.field_of_view = FieldOfView::kFill;
  const AcquisitionShift& vignette = find_acquisition_shift("vignette");
  constexpr std::size_t kImages = 300;
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < kImages; ++i) idx.push_back(i * 33);
  const std::vector<cv::Mat> masks = load_masks(ds, idx, plain);
  double raw_diff = 0, filled_diff = 0;
  long lesion_pixels = 0, lesion_changed = 0, shifted_visible = 0, shifted_changed = 0;
  long untouched = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    const cv::Mat photo = load_image(ds, idx[k]);
    const cv::Mat img = resize_for_model(photo, plain);
    const cv::Mat shifted = resize_for_model(apply_acquisition_shift(photo, vignette, 1), plain);
    if (k < 40) {
      raw_diff +=
          (to_tensor({img}, plain) - to_tensor({shifted}, plain)).abs().mean().item<double>();
      filled_diff +=
          (to_tensor({img}, fill) - to_tensor({shifted}, fill)).abs().mean().item<double>();
    }
    // Lesion pixels the fill changes: on the photo as it is, and on the vignetted photo
    // those the vignette left visible (brightest channel at least kFieldOfViewEdge).
    const cv::Mat lesion = masks[k] > 127;
    lesion_pixels += cv::countNonZero(lesion);
    lesion_changed += cv::countNonZero(changed_mask(img) & lesion);
    std::vector<cv::Mat> planes;
    cv::split(shifted, planes);
    const cv::Mat lit = cv::max(cv::max(planes[0], planes[1]), planes[2]) >= kFieldOfViewEdge;
    shifted_visible += cv::countNonZero(lesion & lit);
    shifted_changed += cv::countNonZero(changed_mask(shifted) & lesion & lit);
    if (changed_pixels(img) == 0) ++untouched;
  }
  std::printf(
      "vignette input diff: as-is %.3f, filled %.3f; lesion pixels changed: %ld of %ld "
      "as photographed, %ld of %ld visible under the vignette; photos untouched %ld of "
      "%zu\n",
      raw_diff / 40, filled_diff / 40, lesion_changed, lesion_pixels, shifted_changed,
      shifted_visible, untouched, kImages);
  EXPECT_GT(raw_diff / 40, 0.3);
  EXPECT_LT(filled_diff, 0.3 * raw_diff);
  EXPECT_LT(lesion_changed, 0.005 * lesion_pixels);
  EXPECT_LT(shifted_changed, 0.01 * shifted_visible);
  EXPECT_GT(untouched, static_cast<long>(0.8 * kImages));
}

}  // namespace
}  // namespace skinscan
