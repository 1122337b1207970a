// Batch mixing (`skinscan train --mix mixup|cutmix`): mixup blends every image with one
// partner and pairs the labels the same way; cutmix replaces one box of every image by its
// partner's pixels and `lambda` is exactly the untouched share; no mixing draws nothing from
// the run's generator (earlier recipes keep their random stream); a short real run records
// the mixing, and mixing with mask supervision is refused.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/error.h"
#include "model/classifier_torch.h"
#include "train/small_dataset.h"
#include "train/train_step.h"
#include "train/trainer.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Eight distinct random images with distinct labels 0..7: a partner is found by its label.
struct Batch {
  torch::Tensor x = torch::rand({8, 3, 12, 16});
  torch::Tensor y = torch::arange(8, torch::kLong);
};

TEST(Mix, NoneLeavesTheBatchAndTheGeneratorAlone) {
  const Batch b;
  std::mt19937 rng(3), untouched(3);
  const MixedBatch m = mix_batch(b.x, b.y, Mix::kNone, 1.0, 1.0, rng);
  EXPECT_TRUE(m.x.is_same(b.x));
  EXPECT_TRUE(torch::equal(m.labels_a, b.y));
  EXPECT_TRUE(torch::equal(m.labels_b, b.y));
  EXPECT_EQ(m.lambda, 1.0);
  EXPECT_EQ(rng, untouched);
  // Probability 0: never mixed.
  const MixedBatch never = mix_batch(b.x, b.y, Mix::kCutmix, 1.0, 0.0, rng);
  EXPECT_TRUE(torch::equal(never.x, b.x));
  EXPECT_EQ(never.lambda, 1.0);
}

TEST(Mix, MixupBlendsEachImageWithThePartnerItsSecondLabelNames) {
  torch::manual_seed(1);
  const Batch b;
  std::mt19937 rng(5);
  int mixed = 0;
  for (int trial = 0; trial < 10; ++trial) {
    const MixedBatch m = mix_batch(b.x, b.y, Mix::kMixup, 1.0, 1.0, rng);
    EXPECT_TRUE(torch::equal(m.labels_a, b.y));
    ASSERT_GT(m.lambda, 0.0);
    ASSERT_LE(m.lambda, 1.0);
    const torch::Tensor partner = b.x.index_select(0, m.labels_b);
    EXPECT_TRUE(torch::allclose(m.x, b.x * m.lambda + partner * (1 - m.lambda), 1e-5, 1e-6));
    EXPECT_EQ(std::get<0>(torch::sort(m.labels_b)).equal(b.y), true);  // a permutation
    mixed += m.lambda < 0.99;
  }
  EXPECT_GE(mixed, 5);  // Beta(1, 1) is uniform: most draws mix visibly
}

TEST(Mix, CutmixPastesOneBoxAndLambdaIsTheUntouchedShare) {
  torch::manual_seed(2);
  const Batch b;
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const MixedBatch m = mix_batch(b.x, b.y, Mix::kCutmix, 1.0, 1.0, rng);
    const torch::Tensor partner = b.x.index_select(0, m.labels_b);
    // Every pixel is its own image's or its partner's.
    EXPECT_TRUE(torch::logical_or(m.x.eq(b.x), m.x.eq(partner)).all().item<bool>());
    const torch::Tensor from_partner = m.x.ne(b.x).any(1);  // [8,h,w]
    const torch::Tensor moved = m.labels_b.ne(b.y);         // images with another partner
    for (long i = 0; i < 8; ++i) {
      if (!moved[i].item<bool>()) continue;
      const double share = from_partner[i].to(torch::kDouble).mean().item<double>();
      EXPECT_NEAR(share, 1.0 - m.lambda, 1e-9) << "trial " << trial << " image " << i;
      // The pasted pixels form one rectangle (rows x columns that contain any).
      const long rows = from_partner[i].any(1).sum().item<long>();
      const long cols = from_partner[i].any(0).sum().item<long>();
      EXPECT_EQ(rows * cols, from_partner[i].sum().item<long>());
    }
  }
}

TEST(Mix, ShortRunRecordsTheMixingAndRefusesItWithMasks) {
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();
  o.mix = Mix::kCutmix;
  testing::TempDir dir("mix");
  ASSERT_TRUE(train_model(ds, split, o, (dir / "cutmix").string()).has_value());
  std::ifstream mf(dir / "cutmix" / "model.json");
  const auto training = nlohmann::json::parse(mf)["training"];
  EXPECT_EQ(training["mix"]["mode"], "cutmix");
  EXPECT_EQ(training["mix"]["alpha"], 1.0);

  o.mask_weight = 0.5;
  try {
    train_model(ds, split, o, (dir / "refused").string());
    ADD_FAILURE() << "mixing with mask supervision was accepted";
  } catch (const skinscan::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not combined with mask supervision"));
  }
  EXPECT_FALSE(fs::exists(dir / "refused"));
}

}  // namespace
}  // namespace skinscan
