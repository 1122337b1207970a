// A short real training run on shared HAM10000 images: the loss falls, the model directory
// is complete, and reloading it predicts exactly what the trained network predicted.
#include "train/trainer.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "model/classifier_torch.h"
#include "model/explain.h"
#include "support/paths.h"
#include "train/small_dataset.h"

namespace skinscan {
namespace {

TEST(Training, ShortRunLossFallsAndModelReloadsIdentically) {
  // Every 7th image of the first 2800 -> 400 images spanning several classes.
  const Dataset ds = testing::ham10000_sample(7);
  const Split split = make_split(ds);
  TrainOptions o;
  o.arch = "resnet-s";
  o.epochs = 3;
  o.batch_size = 32;
  o.augment = false;
  o.progress = false;
  o.version = "test";
  testing::TempDir dir("train");
  const std::string out = (dir / "model").string();
  const Classifier trained = *train_model(ds, split, o, out);

  for (const char* f : {"model.json", "weights.pt", "history.json", "training_curves.png"}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(out) / f)) << f;
  }
  std::ifstream hf(std::filesystem::path(out) / "history.json");
  const auto history = nlohmann::json::parse(hf);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_LT(history[2]["train_loss"].get<double>(), history[0]["train_loss"].get<double>());

  const Classifier loaded = Classifier::load(out);
  EXPECT_EQ(loaded.info().version, "test");
  EXPECT_EQ(loaded.info().arch, "resnet-s");
  EXPECT_DOUBLE_EQ(loaded.info().calibration.temperature, trained.info().calibration.temperature);
  std::vector<cv::Mat> images;
  for (std::size_t i = 0; i < 12; ++i) images.push_back(load_image(ds, i));
  const torch::Tensor a = trained.probabilities(images);
  const torch::Tensor b = loaded.probabilities(images);
  EXPECT_EQ(a.sizes(), b.sizes());
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_NEAR(a.sum(1).mean().item<double>(), 1.0, 1e-5);
  const auto& m = loaded.info().extra["metrics"];
  EXPECT_TRUE(m.contains("validation"));
  EXPECT_TRUE(m.contains("test"));
  EXPECT_EQ(m["test"]["n"].get<int>(), static_cast<int>(split.indices(Part::kTest).size()));
  // The decision's low-risk operating point, fitted on validation, and the test decisions.
  const auto& op = loaded.info().extra["operating_point"];
  EXPECT_EQ(op["fitted_on"], "validation");
  const double low = op["no_disease_max_risk"];
  EXPECT_GE(low, 0.0);
  EXPECT_LE(low, loaded.info().refer_threshold);
  EXPECT_LE(op["validation"]["malignant_no_disease"].get<int>(),
            0.03 * op["validation"]["malignant"].get<int>());
  EXPECT_EQ(op["reliability"].size(), 10u);
  EXPECT_EQ(
      m["test"]["decisions"]["malignant"].get<int>() + m["test"]["decisions"]["benign"].get<int>(),
      m["test"]["n"].get<int>());
}

// resnet-s-hr: a stride-4 stem gives twice the input the maps resnet-s has at half of it;
// folding its BatchNorms for serving keeps its outputs; a short real run reloads identically.
TEST(Training, StrideFourStemNetMatchesResNetSMapsAndReloads) {
  InputSpec small = arch_info("resnet-s").input;
  small.width = 64;
  small.height = 48;
  InputSpec large = arch_info("resnet-s-hr").input;
  EXPECT_EQ(large.width, 192);
  EXPECT_EQ(large.height, 144);
  large.width = 128;
  large.height = 96;
  {
    torch::manual_seed(3);
    Net s = make_net("resnet-s", small);
    Net hr = make_net("resnet-s-hr", large);
    s->eval();
    hr->eval();
    torch::NoGradGuard guard;
    const torch::Tensor x = torch::randn({2, 3, 96, 128});
    const auto [hr_map, hr_logits] = forward_for_explanation(*hr, x);
    const auto [s_map, s_logits] = forward_for_explanation(*s, torch::randn({2, 3, 48, 64}));
    EXPECT_EQ(hr_map.sizes(), s_map.sizes());
    EXPECT_EQ(hr_logits.sizes(), s_logits.sizes());
    // Give the BatchNorms non-trivial statistics, then fold them.
    for (auto& b : hr->named_buffers()) {
      if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    }
    const torch::Tensor before = hr->forward(x);
    hr->fuse_for_inference();
    EXPECT_TRUE(torch::allclose(hr->forward(x), before, 1e-4, 1e-4));
  }  // NoGradGuard: training below needs gradients

  const Dataset ds = testing::ham10000_sample(14);
  TrainOptions o = testing::short_run_options();
  o.arch = "resnet-s-hr";
  o.input_width = 128;
  o.input_height = 96;
  testing::TempDir dir("train-hr");
  const std::string out = (dir / "model").string();
  const Classifier trained = *train_model(ds, make_split(ds), o, out);
  const Classifier loaded = Classifier::load(out);
  EXPECT_EQ(loaded.info().arch, "resnet-s-hr");
  EXPECT_EQ(loaded.info().input.width, 128);
  std::vector<cv::Mat> images;
  for (std::size_t i = 0; i < 6; ++i) images.push_back(load_image(ds, i));
  EXPECT_TRUE(torch::equal(trained.probabilities(images), loaded.probabilities(images)));
}

TEST(Training, SeedCnnTrainsOnHmnistSizedInput) {
  Dataset full = open_dataset(testing::ham10000_dir().string());
  Dataset ds;
  for (std::size_t i = 0; i < 3000; i += 10) ds.samples.push_back(full.samples[i]);
  TrainOptions o;
  o.arch = "seed-cnn";
  o.epochs = 1;
  o.progress = false;
  o.balance = Balance::kOversample;
  testing::TempDir dir("train-seed");
  const Classifier m = *train_model(ds, make_split(ds), o, (dir / "m").string());
  EXPECT_EQ(m.info().input.width, 28);
  const torch::Tensor p = m.probabilities({load_image(ds, 0)});
  EXPECT_EQ(p.size(1), 7);
}

}  // namespace
}  // namespace skinscan

namespace skinscan {
namespace {

// --backbone: a TorchScript torchvision ResNet-18 (random weights) made by Debian's
// python3-torchvision, fine-tuned with a new head; the model directory reloads.
TEST(Training, FineTunesATorchScriptBackbone) {
  testing::TempDir dir("backbone");
  const std::string pt = (dir / "resnet18.pt").string();
  const std::string cmd = "/usr/bin/python3 " +
                          (testing::source_dir() / "tests/train/make_backbone.py").string() + " " +
                          pt;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Dataset full = open_dataset(testing::ham10000_dir().string());
  Dataset ds;
  for (std::size_t i = 0; i < 3000; i += 25) ds.samples.push_back(full.samples[i]);
  TrainOptions o;
  o.arch = "backbone";
  o.backbone = pt;
  o.input_width = 64;
  o.input_height = 48;
  o.epochs = 1;
  o.batch_size = 16;
  o.progress = false;
  const std::string out = (dir / "m").string();
  const Classifier trained = *train_model(ds, make_split(ds), o, out);
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(out) / "backbone.pt"));
  const Classifier loaded = Classifier::load(out);
  EXPECT_EQ(loaded.info().arch, "backbone");
  EXPECT_EQ(loaded.info().input.width, 64);
  const std::vector<cv::Mat> imgs = {load_image(ds, 0), load_image(ds, 1)};
  EXPECT_TRUE(torch::allclose(trained.probabilities(imgs), loaded.probabilities(imgs), 1e-5, 1e-6));

  // A save that fails (model.json.tmp blocked) leaves the old backbone.pt as it was, even
  // though the backbone it would have written differs, and leaves no .tmp file behind.
  const std::filesystem::path m(out);
  const std::string backbone_before = testing::read_text(m / "backbone.pt");
  std::filesystem::create_directory(m / "model.json.tmp");
  {
    torch::NoGradGuard guard;
    trained.net()->parameters().front().add_(1.0);
  }
  EXPECT_THROW(save_model(out, trained.info(), trained.net()), ModelError);
  EXPECT_EQ(testing::read_text(m / "backbone.pt"), backbone_before);
  EXPECT_FALSE(std::filesystem::exists(m / "backbone.pt.tmp"));
  EXPECT_FALSE(std::filesystem::exists(m / "weights.pt.tmp"));
  // Writable again: the new backbone lands with the rest.
  std::filesystem::remove(m / "model.json.tmp");
  save_model(out, trained.info(), trained.net());
  EXPECT_NE(testing::read_text(m / "backbone.pt"), backbone_before);
  EXPECT_FALSE(std::filesystem::exists(m / "backbone.pt.tmp"));
  EXPECT_TRUE(torch::equal(Classifier::load(out).net()->parameters().front(),
                           trained.net()->parameters().front()));
}

}  // namespace
}  // namespace skinscan
