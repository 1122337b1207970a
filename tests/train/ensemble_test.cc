// skinscan ensemble on real HAM10000 images: two short-trained members combine into a model
// whose probabilities are the calibrated mean of theirs, that reloads identically, serves
// through the Engine (detector features, Grad-CAM), and refuses members it cannot honestly
// combine without writing anything.
#include "train/ensemble.h"
#include "data/error.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "data/image.h"
#include "model/classifier_torch.h"
#include "screen/engine.h"
#include "screen/heatmap.h"
#include "support/paths.h"
#include "train/trainer.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;

class EnsembleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Dataset full = open_dataset(testing::ham10000_dir().string());
    ds_ = new Dataset;
    ds_->source = full.source;
    for (std::size_t i = 0; i < 2800; i += 7) ds_->samples.push_back(full.samples[i]);
    split_ = new Split(make_split(*ds_));
    dir_ = new testing::TempDir("ensemble");
    for (const auto& [arch, seed] : {std::pair{"resnet-s", 1}, std::pair{"resnet-m", 2}}) {
      TrainOptions o;
      o.arch = arch;
      o.epochs = 1;
      o.batch_size = 32;
      o.augment = false;
      o.progress = false;
      o.seed = static_cast<std::uint64_t>(seed);
      o.version = std::string("member-") + arch;
      train_model(*ds_, *split_, o, (dir_->path() / arch).string());
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete split_;
    delete ds_;
  }
  static std::string member(const char* arch) { return (dir_->path() / arch).string(); }
  static EnsembleOptions options() {
    EnsembleOptions o;
    o.members = {member("resnet-s"), member("resnet-m")};
    o.progress = false;
    o.version = "ens-test";
    return o;
  }
  static std::vector<cv::Mat> images() {
    std::vector<cv::Mat> v;
    for (std::size_t i = 0; i < 10; ++i) v.push_back(load_image(*ds_, i * 30));
    return v;
  }

  static Dataset* ds_;
  static Split* split_;
  static testing::TempDir* dir_;
};
Dataset* EnsembleTest::ds_ = nullptr;
Split* EnsembleTest::split_ = nullptr;
testing::TempDir* EnsembleTest::dir_ = nullptr;

TEST_F(EnsembleTest, ProbabilitiesAreTheCalibratedMeanOfTheMembersAndReloadIdentically) {
  const std::string out = (dir_->path() / "ens").string();
  const Classifier ens = build_ensemble(*ds_, *split_, options(), out);
  const Classifier s = Classifier::load(member("resnet-s"));
  const Classifier m = Classifier::load(member("resnet-m"));
  const auto imgs = images();
  const torch::Tensor mean = (s.probabilities(imgs) + m.probabilities(imgs)) / 2;
  const torch::Tensor expected = calibrate(mean.log(), ens.info().calibration);
  const torch::Tensor got = ens.probabilities(imgs);
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-5);
  // The ensemble's own temperature was fitted on validation (not left at 1 by accident).
  EXPECT_NE(ens.info().calibration.temperature, 1.0);

  const Classifier loaded = Classifier::load(out);
  EXPECT_EQ(loaded.info().arch, "ensemble");
  ASSERT_EQ(loaded.info().members.size(), 2u);
  EXPECT_EQ(loaded.info().members[0].arch, "resnet-s");
  EXPECT_EQ(loaded.info().members[1].version, "member-resnet-m");
  EXPECT_DOUBLE_EQ(loaded.info().members[1].calibration.temperature,
                   m.info().calibration.temperature);
  EXPECT_TRUE(torch::allclose(loaded.probabilities(imgs), got, 0, 1e-6));

  const auto& extra = loaded.info().extra;
  EXPECT_EQ(extra["metrics"]["test"]["n"].get<int>(),
            static_cast<int>(split_->indices(Part::kTest).size()));
  EXPECT_EQ(extra["training"]["members"].size(), 2u);
  EXPECT_EQ(extra["data"]["split_fingerprint"], split_->fingerprint());
  EXPECT_EQ(extra["operating_point"]["fitted_on"], "validation");  // refitted on the ensemble
  EXPECT_TRUE(extra["metrics"]["test"].contains("decisions"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "members" / "1-resnet-m" / "history.json"));
}

TEST_F(EnsembleTest, ServesThroughTheEngineWithFeaturesAndHeatmap) {
  const std::string out = (dir_->path() / "ens-engine").string();
  build_ensemble(*ds_, *split_, options(), out);
  const Classifier plain = Classifier::load(out);
  const auto engine = Engine::load(out);  // folds BatchNorm of every member
  const fs::path jpg = testing::shared_data() / "full-size-samples" / "ISIC_0024872.jpg";
  std::ifstream f(jpg, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
  EXPECT_NO_THROW(engine->screen(bytes));
  const cv::Mat rgb = engine->decode(bytes);
  const Screening sc = engine->screen_rgb(rgb);
  const torch::Tensor p = plain.probabilities({rgb});
  EXPECT_NEAR(sc.finding.probabilities[4], p[0][4].item<double>(), 1e-3);  // folded == plain

  // Detector features are both members' pooled features side by side (192 + 256).
  const auto [features, logits] = plain.features_and_logits(plain.batch({rgb}));
  EXPECT_EQ(features.size(1), 192 + 256);

  const cv::Mat cam = grad_cam(engine->classifier(), rgb, 4);
  EXPECT_EQ(cam.size(), rgb.size());
  double lo = 0, hi = 0;
  cv::minMaxLoc(cam, &lo, &hi);
  EXPECT_NEAR(hi, 1.0, 1e-6);
  EXPECT_LT(lo, hi);
}

TEST_F(EnsembleTest, RefusesMembersItCannotCombineAndWritesNothing) {
  const fs::path out = dir_->path() / "refused";
  EnsembleOptions one = options();
  one.members.pop_back();
  EXPECT_THROW(build_ensemble(*ds_, *split_, one, out.string()), skinscan::Error);

  // A member trained on another split.
  const fs::path other = dir_->path() / "other-split";
  fs::copy(member("resnet-m"), other);
  {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(other / "model.json"));
    j["data"]["split_fingerprint"] = "0000000000000000";
    std::ofstream(other / "model.json") << j.dump();
  }
  EnsembleOptions mixed = options();
  mixed.members[1] = other.string();
  try {
    build_ensemble(*ds_, *split_, mixed, out.string());
    ADD_FAILURE() << "a member of another split was accepted";
  } catch (const skinscan::Error& e) {
    EXPECT_NE(std::string(e.what()).find("split"), std::string::npos) << e.what();
  }

  // Writing over a member.
  EnsembleOptions self = options();
  EXPECT_THROW(build_ensemble(*ds_, *split_, self, member("resnet-s")), skinscan::Error);
  EXPECT_TRUE(Classifier::load(member("resnet-s")).info().arch == "resnet-s");
  EXPECT_FALSE(fs::exists(out));

  // `skinscan train --arch ensemble` is refused before any image is decoded.
  TrainOptions t;
  t.arch = "ensemble";
  EXPECT_THROW(train_model(*ds_, *split_, t, out.string()), skinscan::Error);
}

// A member's recorded scores are provenance, not inputs to the combination: a member whose
// model.json lacks some of them (or has none) is combined, and what it lacks is recorded as
// null, never an internal JSON error.
TEST_F(EnsembleTest, MembersWithPartialOrNoScoresAreCombinedAndRecordedAsNull) {
  const fs::path partial = dir_->path() / "partial-scores";
  fs::copy(member("resnet-m"), partial);
  nlohmann::json j = nlohmann::json::parse(std::ifstream(partial / "model.json"));
  const double accuracy = j["metrics"]["validation"]["accuracy"].get<double>();
  j["metrics"]["validation"].erase("per_class");
  j["metrics"]["test"] = "not an object";
  std::ofstream(partial / "model.json") << j.dump();
  EnsembleOptions o = options();
  o.members[1] = partial.string();
  const fs::path out = dir_->path() / "ens-partial";
  ASSERT_NO_THROW(build_ensemble(*ds_, *split_, o, out.string()));
  const nlohmann::json e = nlohmann::json::parse(std::ifstream(out / "model.json"));
  const auto& recorded = e["training"]["members"][1];
  EXPECT_DOUBLE_EQ(recorded["validation"]["accuracy"].get<double>(), accuracy);
  EXPECT_TRUE(recorded["validation"]["melanoma_recall"].is_null());
  EXPECT_TRUE(recorded["test"].is_null());
  EXPECT_TRUE(e["training"]["members"][0]["validation"]["melanoma_recall"].is_number());

  j.erase("metrics");
  std::ofstream(partial / "model.json") << j.dump();
  const fs::path out2 = dir_->path() / "ens-no-scores";
  ASSERT_NO_THROW(build_ensemble(*ds_, *split_, o, out2.string()));
  const nlohmann::json e2 = nlohmann::json::parse(std::ifstream(out2 / "model.json"));
  EXPECT_TRUE(e2["training"]["members"][1]["validation"].is_null());
}

TEST_F(EnsembleTest, BadEnsembleModelJsonIsRejected) {
  const fs::path out = dir_->path() / "ens-bad";
  build_ensemble(*ds_, *split_, options(), out.string());
  nlohmann::json j = nlohmann::json::parse(std::ifstream(out / "model.json"));
  auto write = [&](const nlohmann::json& v) { std::ofstream(out / "model.json") << v.dump(); };
  nlohmann::json backbone = j;
  backbone["ensemble"]["members"][0]["arch"] = "backbone";
  write(backbone);
  EXPECT_THROW(Classifier::load(out.string()), ModelError);
  nlohmann::json none = j;
  none.erase("ensemble");
  write(none);
  EXPECT_THROW(Classifier::load(out.string()), ModelError);
  nlohmann::json swapped = j;  // members in the other order: weights do not fit
  std::swap(swapped["ensemble"]["members"][0], swapped["ensemble"]["members"][1]);
  write(swapped);
  EXPECT_THROW(Classifier::load(out.string()), ModelError);
  write(j);
  EXPECT_NO_THROW(Classifier::load(out.string()));
}

}  // namespace
}  // namespace skinscan
