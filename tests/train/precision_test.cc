// bfloat16 training (`--precision bf16`) on real HAM10000 images: LibTorch's CPU autocast
// really computes in bfloat16 (one step's loss differs from float32's by rounding only,
// weights stay float32, laid out channels-last), and a short run saves a float32 model in
// the standard layout that reloads identically and resumes bit for bit.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "model/classifier_torch.h"
#include "support/paths.h"
#include "train/small_dataset.h"
#include "train/train_step.h"
#include "train/trainer.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;

TEST(Bf16, OneStepComputesInBfloat16CloseToFloat32) {
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(1);
  const testing::OneBatch batch = testing::one_batch(32);
  const auto& [spec, train, counts, all] = batch;

  TrainOptions fp32;
  fp32.augment = false;
  fp32.balance = Balance::kNone;
  TrainOptions bf16 = fp32;
  bf16.precision = Precision::kBf16;
  torch::manual_seed(7);
  TrainingRun a(fp32, spec, torch::kCPU, train, {}, counts, 10);
  torch::manual_seed(7);
  TrainingRun b(bf16, spec, torch::kCPU, train, {}, counts, 10);
  const auto pa = a.net->parameters(), pb = b.net->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  std::vector<torch::Tensor> init;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    ASSERT_TRUE(torch::equal(pa[k], pb[k])) << k;
    init.push_back(pa[k].detach().clone().flatten());
  }
  EXPECT_TRUE(pb[0].is_contiguous(at::MemoryFormat::ChannelsLast));  // the stem's weights
  EXPECT_FALSE(pb[0].is_contiguous());

  a.net->train();
  b.net->train();
  const StepResult ra = train_step(a, all), rb = train_step(b, all);
  EXPECT_NE(ra.loss, rb.loss);  // bfloat16 arithmetic, not float32
  EXPECT_NEAR(ra.loss, rb.loss, 0.02 * ra.loss);
  for (const auto& p : b.net->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat32);
  // The step moved the weights the same way. AdamW's first step is ~lr * sign(gradient), so
  // small gradients whose sign bfloat16 rounding flips pull the cosine well below 1 (0.63 here).
  std::vector<torch::Tensor> da, db;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    da.push_back(pa[k].detach().flatten() - init[k]);
    db.push_back(pb[k].detach().flatten() - init[k]);
  }
  const double cos = torch::nn::functional::cosine_similarity(torch::cat(da).unsqueeze(0),
                                                              torch::cat(db).unsqueeze(0))
                         .item<double>();
  std::printf("cosine of the float32 and bfloat16 steps: %.4f\n", cos);
  EXPECT_GT(cos, 0.3);  // an unrelated direction would give ~0
  torch::set_num_threads(threads_before);
}

TEST(Bf16, ShortRunSavesAStandardFloat32ModelAndResumesBitForBit) {
  const int threads_before = torch::get_num_threads();
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();  // one thread: bit-for-bit reductions
  o.precision = Precision::kBf16;
  o.epochs = 2;
  o.version = "bf16-test";
  testing::TempDir dir("bf16");
  const fs::path straight = dir / "straight", resumed = dir / "resumed";
  const Classifier a = *train_model(ds, split, o, straight.string());

  TrainOptions first = o;
  first.stop_after = 1;
  EXPECT_FALSE(train_model(ds, split, first, resumed.string()).has_value());
  TrainOptions again = o;
  again.resume = true;
  const Classifier b = *train_model(ds, split, again, resumed.string());
  const auto pa = a.net()->parameters(), pb = b.net()->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k) {
    EXPECT_TRUE(torch::equal(pa[k], pb[k])) << k;
    EXPECT_EQ(pa[k].scalar_type(), torch::kFloat32) << k;
    EXPECT_TRUE(pa[k].is_contiguous()) << k;  // the standard layout, not channels-last
  }

  std::ifstream mf(straight / "model.json");
  const auto model = nlohmann::json::parse(mf);
  EXPECT_EQ(model["training"]["precision"], "bf16");
  std::ifstream hf(straight / "history.json");
  const auto history = nlohmann::json::parse(hf);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_LT(history[1]["train_loss"].get<double>(), history[0]["train_loss"].get<double>());

  const Classifier loaded = Classifier::load(straight.string());
  for (const auto& p : loaded.net()->parameters()) EXPECT_TRUE(p.is_contiguous());
  std::vector<cv::Mat> images;
  for (std::size_t i = 0; i < 12; ++i) images.push_back(load_image(ds, i));
  EXPECT_TRUE(torch::equal(a.probabilities(images), loaded.probabilities(images)));
  torch::set_num_threads(threads_before);
}

}  // namespace
}  // namespace skinscan
