// The acquisition-shift suite on real HAM10000 photos: each shift does what its description
// says (measured on the pixels), is deterministic, and evaluate_shifted scores "clean"
// exactly as evaluate() does with the shipped model.
#include "train/acquisition_shift.h"

#include <set>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "data/dataset.h"
#include "data/error.h"
#include "data/image.h"
#include "model/classifier_torch.h"
#include "support/paths.h"
#include "train/evaluate.h"

namespace skinscan {
namespace {

cv::Mat photo(const std::string& id = "ISIC_0024306") {
  return read_image_rgb((testing::ham10000_dir() / "images" / (id + ".jpg")).string());
}

cv::Mat shifted(const cv::Mat& rgb, const std::string& name, std::uint64_t seed = 0) {
  return apply_acquisition_shift(rgb, find_acquisition_shift(name), seed);
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

double sharpness(const cv::Mat& rgb) {  // variance of the Laplacian of the grey image
  cv::Mat grey, lap;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  cv::Laplacian(grey, lap, CV_64F);
  cv::Scalar mean, sd;
  cv::meanStdDev(lap, mean, sd);
  return sd[0] * sd[0];
}

TEST(AcquisitionShift, SuiteHasUniqueNamesCleanFirstAndMarksWhatStrongAugmentDraws) {
  const auto& all = acquisition_shifts();
  ASSERT_GE(all.size(), 10u);
  EXPECT_EQ(all.front().name, "clean");
  std::set<std::string> names, seen_in_training;
  for (const auto& s : all) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.description.empty()) << s.name;
    if (!s.outside_strong_augment) seen_in_training.insert(s.name);
  }
  EXPECT_EQ(seen_in_training, (std::set<std::string>{"defocus", "vignette"}));
}

TEST(AcquisitionShift, EveryShiftIsDeterministicKeepsRgbAndOnlyNoiseUsesTheSeed) {
  const cv::Mat img = photo();
  for (const auto& s : acquisition_shifts()) {
    const cv::Mat a = apply_acquisition_shift(img, s, 3), b = apply_acquisition_shift(img, s, 3);
    EXPECT_EQ(a.type(), CV_8UC3) << s.name;
    EXPECT_TRUE(same_pixels(a, b)) << s.name;
    const cv::Mat other_seed = apply_acquisition_shift(img, s, 4);
    EXPECT_EQ(same_pixels(a, other_seed), s.name != "noise") << s.name;
    EXPECT_EQ(same_pixels(a, img), s.name == "clean") << s.name;
  }
}

TEST(AcquisitionShift, IlluminantAndExposureShiftsScaleTheChannels) {
  // A mid-grey card shows the exact gains and tone curve ...
  const cv::Mat grey(30, 40, CV_8UC3, cv::Scalar(100, 100, 100));
  EXPECT_EQ(shifted(grey, "warm").at<cv::Vec3b>(5, 5), cv::Vec3b(120, 100, 78));
  EXPECT_EQ(shifted(grey, "cool").at<cv::Vec3b>(5, 5), cv::Vec3b(82, 100, 120));
  EXPECT_EQ(shifted(grey, "dim").at<cv::Vec3b>(5, 5), cv::Vec3b(60, 60, 60));
  EXPECT_EQ(shifted(grey, "flat").at<cv::Vec3b>(5, 5), cv::Vec3b(145, 145, 145));  // gamma 0.6
  // ... and a real photo moves the same way (saturation at 255 only pulls gains > 1 down).
  const cv::Mat img = photo();
  const cv::Scalar m = cv::mean(img);
  const cv::Scalar warm = cv::mean(shifted(img, "warm")), cool = cv::mean(shifted(img, "cool"));
  const cv::Scalar dim = cv::mean(shifted(img, "dim")), flat = cv::mean(shifted(img, "flat"));
  EXPECT_GT(warm[0], m[0]);
  EXPECT_NEAR(warm[2] / m[2], 0.78, 0.01);
  EXPECT_NEAR(cool[0] / m[0], 0.82, 0.01);
  EXPECT_GT(cool[2], m[2]);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(dim[k] / m[k], 0.6, 0.01);
    EXPECT_GT(flat[k], m[k]);
  }
}

TEST(AcquisitionShift, FocusResolutionAndCompressionShiftsLoseDetailButKeepTheScene) {
  const cv::Mat img = photo();
  const double sharp = sharpness(img);
  for (const std::string name : {"defocus", "lowres", "jpeg", "noise"}) {
    const cv::Mat s = shifted(img, name);
    ASSERT_EQ(s.size(), img.size()) << name;
    const double psnr = cv::PSNR(img, s);
    EXPECT_GT(psnr, 20.0) << name;  // the same scene
    EXPECT_LT(psnr, 45.0) << name;  // visibly changed
    if (name == "noise") {
      EXPECT_GT(sharpness(s), sharp) << name;  // noise adds high frequencies
    } else if (name != "jpeg") {
      EXPECT_LT(sharpness(s), sharp * 0.5) << name;
    }
  }
}

TEST(AcquisitionShift, MagnificationCropsOrSurroundsTheCentre) {
  const cv::Mat img = photo();  // 200 x 150
  const cv::Mat in = shifted(img, "zoom-in");
  EXPECT_EQ(in.size(), cv::Size(140, 105));
  EXPECT_TRUE(same_pixels(in, img(cv::Rect(30, 22, 140, 105))));
  const cv::Mat out = shifted(img, "zoom-out");
  ASSERT_EQ(out.size(), img.size());
  cv::Mat small;
  cv::resize(img, small, cv::Size(140, 105), 0, 0, cv::INTER_AREA);
  EXPECT_TRUE(same_pixels(out(cv::Rect(30, 22, 140, 105)), small));
}

TEST(AcquisitionShift, VignetteBlackensTheCornersAndKeepsTheCentre) {
  const cv::Mat img = photo();
  const cv::Mat v = shifted(img, "vignette");
  EXPECT_EQ(v.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(v.at<cv::Vec3b>(149, 199), cv::Vec3b(0, 0, 0));
  EXPECT_TRUE(same_pixels(v(cv::Rect(70, 50, 60, 50)), img(cv::Rect(70, 50, 60, 50))));
}

TEST(AcquisitionShift, UnknownNamesAndNonRgbImagesAreRefused) {
  try {
    find_acquisition_shift("sepia");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("warm"), std::string::npos);  // names the known ones
  }
  const cv::Mat grey(10, 10, CV_8UC1, cv::Scalar(5));
  EXPECT_THROW(apply_acquisition_shift(grey, acquisition_shifts()[1], 0), Error);
  EXPECT_THROW(apply_acquisition_shift(cv::Mat(), acquisition_shifts()[0], 0), Error);
}

TEST(AcquisitionShift, ShiftedEvaluationScoresCleanAsEvaluateAndShiftsChangeTheLogits) {
  const Classifier model =
      Classifier::load((testing::source_dir() / "models" / "default").string());
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  std::vector<cv::Mat> images;
  std::vector<int> labels;
  for (std::size_t i = 0; i < 24; ++i) {
    images.push_back(read_image_rgb(ds.samples[i * 400].image_path));
    labels.push_back(ds.samples[i * 400].dx);
  }
  const Evaluation plain = evaluate(model, images, labels, 1, 0, false);
  const auto r =
      evaluate_shifted(model, images, labels,
                       {find_acquisition_shift("clean"), find_acquisition_shift("warm")}, 0, false);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].shift.name, "clean");
  EXPECT_TRUE(torch::equal(r[0].evaluation.logits, plain.logits));
  EXPECT_DOUBLE_EQ(r[0].evaluation.metrics.accuracy, plain.metrics.accuracy);
  EXPECT_EQ(r[1].shift.name, "warm");
  EXPECT_GT((r[1].evaluation.logits - plain.logits).abs().max().item<float>(), 0.05f);
}

}  // namespace
}  // namespace skinscan
