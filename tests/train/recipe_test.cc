// The training recipe's parts on real HAM10000 images: colour constancy in THE
// preprocessing, augmentation that keeps a lesion mask aligned, lesion masks at model
// size, and resumable training (interrupted + resumed == uninterrupted, bit for bit).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "model/classifier_torch.h"
#include "support/paths.h"
#include "train/augment.h"
#include "train/masks.h"
#include "train/small_dataset.h"
#include "train/trainer.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;

cv::Mat with_cast(const cv::Mat& rgb, float r, float g, float b) {
  cv::Mat f;
  rgb.convertTo(f, CV_32FC3);
  cv::multiply(f, cv::Scalar(r, g, b), f);
  cv::Mat out;
  f.convertTo(out, CV_8UC3);
  return out;
}

// Mean over 40 real photos (model-sized) of how far `change` moves the model input under
// `spec`: mean |to_tensor(photo) - to_tensor(change(photo))|.
double mean_input_change(const Dataset& ds, const InputSpec& spec,
                         const std::function<cv::Mat(const cv::Mat&)>& change) {
  double sum = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    const cv::Mat img = resize_for_model(load_image(ds, i * 97), spec);
    sum += (to_tensor({img}, spec) - to_tensor({change(img)}, spec)).abs().mean().item<double>();
  }
  return sum / 40;
}

TEST(ColourConstancy, ShadesOfGrayRemovesAColourCast) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  InputSpec plain;
  InputSpec sog = plain;
  sog.colour = ColourConstancy::kShadesOfGray;
  // A bluish illuminant, weaker in red, of the same overall brightness: what a different
  // dermoscope's LEDs do (brightness itself is left to the network and augmentation).
  const auto cast = [](const cv::Mat& img) { return with_cast(img, 0.82f, 1.0f, 1.18f); };
  const double raw_diff = mean_input_change(ds, plain, cast);
  const double balanced_diff = mean_input_change(ds, sog, cast);
  // Without colour constancy the cast moves the input a lot; with it, little is left
  // (rounding and the clipping of bright pixels).
  EXPECT_GT(raw_diff, 0.15);
  EXPECT_LT(balanced_diff, 0.25 * raw_diff);
}

TEST(ColourConstancy, GainsMakeAGreyImageStayGreyAndBlackIsSafe) {
  const cv::Mat grey(20, 30, CV_8UC3, cv::Scalar(90, 90, 90));
  for (float g : shades_of_gray_gains(grey)) EXPECT_NEAR(g, 1.0f, 1e-5);
  const cv::Mat black(20, 30, CV_8UC3, cv::Scalar(0, 0, 0));
  for (float g : shades_of_gray_gains(black)) EXPECT_EQ(g, 1.0f);
  const cv::Mat red(20, 30, CV_8UC3, cv::Scalar(200, 0, 0));  // no green or blue light at all
  const auto gains = shades_of_gray_gains(red);
  for (float g : gains) {
    EXPECT_GE(g, 0.25f);
    EXPECT_LE(g, 4.0f);
  }
  EXPECT_THROW(colour_constancy_from_name("retinex"), skinscan::Error);
  EXPECT_EQ(colour_constancy_from_name("shades-of-gray"), ColourConstancy::kShadesOfGray);
  EXPECT_EQ(colour_constancy_from_name("shades-of-gray-exposure"),
            ColourConstancy::kShadesOfGrayExposure);
  for (float g : shades_of_gray_exposure_gains(black)) EXPECT_EQ(g, 1.0f);
  // A grey at the target level is left alone; a darker grey is brought up to it.
  const int level = static_cast<int>(std::lround(kExposureTarget * 255));
  for (float g : shades_of_gray_exposure_gains(cv::Mat(20, 30, CV_8UC3, cv::Scalar::all(level))))
    EXPECT_NEAR(g, 1.0f, 0.01f);
  for (float g : shades_of_gray_exposure_gains(grey))
    EXPECT_NEAR(g, kExposureTarget * 255 / 90, 0.01f);
}

TEST(ColourConstancy, ExposureVariantUndoesAnExposureChangeThatPlainShadesOfGrayKeeps) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  InputSpec sog;
  sog.colour = ColourConstancy::kShadesOfGray;
  InputSpec exposure = sog;
  exposure.colour = ColourConstancy::kShadesOfGrayExposure;
  // Under-exposure with a slight cast: 60% of the light, a little less in red.
  const auto dim = [](const cv::Mat& img) { return with_cast(img, 0.55f, 0.6f, 0.62f); };
  const double sog_diff = mean_input_change(ds, sog, dim);
  const double exposure_diff = mean_input_change(ds, exposure, dim);
  // Plain Shades of Gray removes the cast but keeps the darkness; the exposure variant
  // removes both (what is left: rounding, and pixels the brighter target clips).
  EXPECT_GT(sog_diff, 0.5);
  EXPECT_LT(exposure_diff, 0.2 * sog_diff);
}

TEST(Augment, MaskFollowsTheGeometricTransform) {
  // The image's every channel is the mask, so after a purely geometric augmentation the
  // augmented image must equal the augmented mask.
  cv::Mat mask(72, 96, CV_8UC1, cv::Scalar(0));
  cv::circle(mask, {40, 30}, 18, cv::Scalar(255), -1);
  cv::rectangle(mask, {70, 50}, {90, 66}, cv::Scalar(255), -1);
  cv::Mat rgb;
  cv::merge(std::vector<cv::Mat>{mask, mask, mask}, rgb);
  AugmentOptions o;
  o.brightness = o.contrast = o.saturation = 0;
  std::mt19937 rng(7);
  for (int k = 0; k < 20; ++k) {
    cv::Mat m = mask.clone();
    const cv::Mat out = augment(rgb, o, rng, &m);
    cv::Mat r;
    cv::extractChannel(out, r, 0);
    EXPECT_LE(cv::norm(r, m, cv::NORM_INF), 1.0) << "draw " << k;
    EXPECT_GT(cv::countNonZero(m), 200) << "draw " << k;
  }
}

TEST(Augment, StrongPresetChangesColoursButKeepsSizeAndType) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  const cv::Mat img = resize_for_model(load_image(ds, 5), InputSpec{});
  std::mt19937 rng(3);
  const AugmentOptions strong = AugmentOptions::strong();
  for (int k = 0; k < 10; ++k) {
    const cv::Mat out = augment(img, strong, rng);
    EXPECT_EQ(out.size(), img.size());
    EXPECT_EQ(out.type(), CV_8UC3);
  }
}

TEST(Augment, ColourPresetIsStrongPhotometricsOnTheDefaultGeometry) {
  const AugmentOptions base, strong = AugmentOptions::strong(), colour = AugmentOptions::colour();
  EXPECT_EQ(colour.scale_min, base.scale_min);
  EXPECT_EQ(colour.scale_max, base.scale_max);
  EXPECT_EQ(colour.max_shift, base.max_shift);
  EXPECT_EQ(colour.blur_probability, 0.0);
  EXPECT_EQ(colour.vignette_probability, 0.0);
  EXPECT_EQ(colour.colour_cast, strong.colour_cast);
  EXPECT_EQ(colour.gamma, strong.gamma);
  EXPECT_EQ(colour.saturation, strong.saturation);
  EXPECT_GT(colour.colour_cast, 0.0);
  // On a real photo with lit corners it moves the channels apart (a cast) but never darkens
  // the corners as a vignette would.
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  const cv::Rect corner(0, 0, 8, 8);
  cv::Mat img;
  for (std::size_t i = 0; img.empty() || cv::mean(img(corner))[1] < 100; ++i)
    img = resize_for_model(load_image(ds, i), InputSpec{});
  std::mt19937 rng(3);
  double ratio_spread = 0;
  for (int k = 0; k < 20; ++k) {
    AugmentOptions still = colour;  // photometric draws only, so pixels stay in place
    still.flips = false;
    still.max_rotation_deg = 0;
    still.scale_min = still.scale_max = 1;
    still.max_shift = 0;
    const cv::Mat out = augment(img, still, rng);
    const cv::Scalar in_mean = cv::mean(img), out_mean = cv::mean(out);
    const double r = (out_mean[0] / in_mean[0]) / (out_mean[2] / in_mean[2]);
    ratio_spread = std::max(ratio_spread, std::abs(r - 1));
    EXPECT_GT(cv::mean(out(corner))[1], 0.5 * cv::mean(img(corner))[1]) << k;
  }
  EXPECT_GT(ratio_spread, 0.05);  // red against blue moved by a cast in some draw
}

TEST(Masks, LoadAtModelSizeAndCoverTheLesion) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  const InputSpec spec;
  const std::vector<std::size_t> idx = {0, 1, 2, 500, 5000};
  const std::vector<cv::Mat> masks = load_masks(ds, idx, spec);
  ASSERT_EQ(masks.size(), idx.size());
  for (const cv::Mat& m : masks) {
    EXPECT_EQ(m.cols, spec.width);
    EXPECT_EQ(m.rows, spec.height);
    EXPECT_EQ(m.type(), CV_8UC1);
    const double share = cv::countNonZero(m > 127) / static_cast<double>(m.total());
    EXPECT_GT(share, 0.02);  // every HAM10000 mask marks a lesion
    EXPECT_LT(share, 1.0);
  }
  Dataset missing = ds;
  missing.samples.resize(3);
  missing.samples[2].image_id = "ISIC_missing";
  EXPECT_THROW(load_masks(missing, {0, 1, 2}, spec), DataError);
}

// A small real run with every recipe option on (colour constancy, strong augmentation,
// EMA, mask supervision): stopped after epoch 1 and resumed, it writes exactly the weights
// of the uninterrupted run; resuming with other options is refused.
TEST(Training, ResumedRunEqualsUninterruptedRun) {
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();  // one thread: bit-for-bit reductions
  o.colour = ColourConstancy::kShadesOfGray;
  o.field_of_view = FieldOfView::kFill;
  o.augment_options = AugmentOptions::strong();
  o.ema_decay = 0.99;
  o.mask_weight = 0.5;
  o.epochs = 2;
  o.version = "resume-test";
  const int threads_before = torch::get_num_threads();
  testing::TempDir dir("resume");
  const fs::path straight = dir / "straight", resumed = dir / "resumed";
  const Classifier a = *train_model(ds, split, o, straight.string());
  EXPECT_FALSE(fs::exists(straight / "checkpoint"));  // removed once the model is complete

  TrainOptions first = o;
  first.stop_after = 1;
  EXPECT_FALSE(train_model(ds, split, first, resumed.string()).has_value());
  EXPECT_TRUE(fs::exists(resumed / "checkpoint" / "state.json"));
  EXPECT_FALSE(fs::exists(resumed / "model.json"));

  TrainOptions other = o;
  other.resume = true;
  other.lr = 1e-3;
  EXPECT_THROW(train_model(ds, split, other, resumed.string()), skinscan::Error);

  TrainOptions again = o;
  again.resume = true;
  const Classifier b = *train_model(ds, split, again, resumed.string());
  const auto pa = a.net()->parameters(), pb = b.net()->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << k;
  EXPECT_EQ(b.info().input.colour, ColourConstancy::kShadesOfGray);
  EXPECT_EQ(b.info().extra["training"]["resumed_after_epoch"], 1);
  // The mask loss is recorded and the reloaded model keeps its colour constancy.
  std::ifstream hf(resumed / "history.json");
  const auto history = nlohmann::json::parse(hf);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_GT(history[0]["mask_loss"].get<double>(), 0.0);
  EXPECT_LT(history[1]["mask_loss"].get<double>(), history[0]["mask_loss"].get<double>());
  const Classifier loaded = Classifier::load(resumed.string());
  EXPECT_EQ(loaded.info().input.colour, ColourConstancy::kShadesOfGray);
  EXPECT_EQ(loaded.info().input.field_of_view, FieldOfView::kFill);
  torch::set_num_threads(threads_before);
}

// The epoch rule: best-balanced keeps the epoch with the highest validation balanced
// accuracy in the run's own history (the first, on ties); last keeps every epoch's network
// as it is (the kept snapshot in the checkpoint equals the live network) and ships the final.
TEST(Training, EpochRuleChoosesTheKeptEpoch) {
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();
  o.epochs = 4;
  o.balance = Balance::kOversample;
  const int threads_before = torch::get_num_threads();
  testing::TempDir dir("epoch-rule");

  const fs::path best_dir = dir / "best-balanced";
  const Classifier best = *train_model(ds, split, o, best_dir.string());
  std::ifstream hf(best_dir / "history.json");
  const auto history = nlohmann::json::parse(hf);
  ASSERT_EQ(history.size(), 4u);
  double top = -1;
  int expected = 0;
  for (const auto& e : history) {
    if (e["val_balanced_accuracy"].get<double>() > top) {
      top = e["val_balanced_accuracy"].get<double>();
      expected = e["epoch"].get<int>();
    }
  }
  EXPECT_EQ(best.info().extra["training"]["best_epoch"].get<int>(), expected);
  EXPECT_EQ(best.info().extra["training"]["epoch_rule"], "best-balanced");

  o.epoch_rule = EpochRule::kLast;
  const fs::path last_dir = dir / "last";
  TrainOptions first = o;
  first.stop_after = 2;
  EXPECT_FALSE(train_model(ds, split, first, last_dir.string()).has_value());
  std::vector<torch::Tensor> kept, live;
  torch::load(kept, (last_dir / "checkpoint" / "best.pt").string());
  torch::load(live, (last_dir / "checkpoint" / "net.pt").string());
  ASSERT_EQ(kept.size(), live.size());
  for (std::size_t k = 0; k < kept.size(); ++k) EXPECT_TRUE(torch::equal(kept[k], live[k])) << k;
  TrainOptions again = o;
  again.resume = true;
  const Classifier last = *train_model(ds, split, again, last_dir.string());
  EXPECT_EQ(last.info().extra["training"]["best_epoch"].get<int>(), 4);
  EXPECT_EQ(last.info().extra["training"]["epoch_rule"], "last");
  torch::set_num_threads(threads_before);
}

}  // namespace
}  // namespace skinscan
