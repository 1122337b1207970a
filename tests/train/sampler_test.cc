// The epoch sampler on HAM10000's real class counts (all 10,015 labels of the shared
// metadata): oversampling draws every class to the majority count, square-root oversampling
// to round(sqrt(n * majority)), the others each image once; an epoch's order holds every
// image at least once and exactly class_draws' count of each class, and its length is
// epoch_length's. The prior search of a square-root oversampled net starts at its balanced
// point, a = -0.5.
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "data/classes.h"
#include "data/dataset.h"
#include "model/arch_info.h"
#include "support/paths.h"
#include "train/calibrate.h"
#include "train/train_step.h"

namespace skinscan {
namespace {

std::vector<int> ham10000_labels() {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  std::vector<int> labels;
  for (const Sample& s : ds.samples) labels.push_back(s.dx);
  return labels;
}

std::vector<std::size_t> counts_of(const std::vector<int>& labels) {
  std::vector<std::size_t> n(kNumClasses, 0);
  for (int y : labels) ++n[static_cast<std::size_t>(y)];
  return n;
}

TEST(Sampler, ClassDrawsFollowTheBalance) {
  const std::vector<int> labels = ham10000_labels();
  ASSERT_EQ(labels.size(), 10015u);
  const std::vector<std::size_t> n = counts_of(labels);
  const std::size_t nv = n[static_cast<std::size_t>(*class_from_code("nv"))];
  const std::size_t df = n[static_cast<std::size_t>(*class_from_code("df"))];
  ASSERT_EQ(nv, 6705u);
  ASSERT_EQ(df, 115u);

  EXPECT_EQ(class_draws(Balance::kNone, labels), n);
  EXPECT_EQ(class_draws(Balance::kWeighted, labels), n);
  EXPECT_EQ(class_draws(Balance::kOversample, labels), std::vector<std::size_t>(kNumClasses, nv));
  const std::vector<std::size_t> sq = class_draws(Balance::kSqrtOversample, labels);
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    EXPECT_EQ(sq[c], static_cast<std::size_t>(std::llround(std::sqrt(1.0 * n[c] * nv)))) << c;
    EXPECT_GE(sq[c], n[c]) << c;
  }
  EXPECT_EQ(sq[static_cast<std::size_t>(*class_from_code("nv"))], nv);
  EXPECT_EQ(sq[static_cast<std::size_t>(*class_from_code("df"))], 878u);  // sqrt(115 * 6705)

  TrainOptions o;
  o.balance = Balance::kSqrtOversample;
  std::size_t total = 0;
  for (std::size_t d : sq) total += d;
  EXPECT_EQ(epoch_length(o, labels), total);
  o.balance = Balance::kOversample;
  EXPECT_EQ(epoch_length(o, labels), kNumClasses * nv);
}

TEST(Sampler, SqrtOversampledEpochHoldsEveryImageAndTheRepeats) {
  LabelledImages train;
  train.labels = ham10000_labels();
  const std::vector<std::size_t> n = counts_of(train.labels);
  std::vector<int> counts(n.begin(), n.end());
  TrainOptions o;
  o.balance = Balance::kSqrtOversample;
  o.arch = "resnet-s";
  TrainingRun run(o, arch_info("resnet-s").input, torch::kCPU, train, {}, counts, 1);
  const std::vector<std::size_t> order = epoch_order(run);
  ASSERT_EQ(order.size(), epoch_length(o, train.labels));
  std::vector<std::size_t> per_class(kNumClasses, 0);
  std::set<std::size_t> seen;
  for (std::size_t i : order) {
    ASSERT_LT(i, train.labels.size());
    ++per_class[static_cast<std::size_t>(train.labels[i])];
    seen.insert(i);
  }
  EXPECT_EQ(per_class, class_draws(o.balance, train.labels));
  EXPECT_EQ(seen.size(), train.labels.size());  // every image at least once
  // Shuffled: the metadata is sorted by class, the order is not (first 100 draws mix classes).
  std::set<int> first;
  for (std::size_t k = 0; k < 100; ++k) first.insert(train.labels[order[k]]);
  EXPECT_GE(first.size(), 3u);
  // The next epoch draws other repeats in another order.
  EXPECT_NE(epoch_order(run), order);
}

// model.json's training.balance reads back as the sampler that wrote it; nothing else does.
TEST(Sampler, EveryBalanceNameReadsBackAsItsBalance) {
  for (Balance b : kBalances) {
    ASSERT_TRUE(balance_from_name(balance_name(b)).has_value()) << balance_name(b);
    EXPECT_EQ(*balance_from_name(balance_name(b)), b) << balance_name(b);
  }
  EXPECT_FALSE(balance_from_name("undersample").has_value());
  EXPECT_FALSE(balance_from_name("").has_value());
  EXPECT_FALSE(balance_from_name("Oversample").has_value());
}

TEST(Sampler, PriorSearchOfASqrtOversampledNetStartsAtItsBalancedPoint) {
  EXPECT_EQ(balanced_prior_adjustment(Balance::kSqrtOversample), -0.5);
  EXPECT_EQ(balanced_prior_adjustment(Balance::kOversample), 0.0);
  EXPECT_EQ(balanced_prior_adjustment(Balance::kNone), -1.0);
  Calibration base;
  base.log_prior = {-3.4, -3.0, -2.2, -4.5, -2.2, -0.4, -4.3};
  // Two melanomas the net ranks just behind nv (by 0.5): only taking prior off, a <= -0.3
  // (0.3 * 1.8 > 0.5), names them; two firm nevi stay nevi at every a in [-0.5, 0.5].
  const int mel = *class_from_code("mel"), nv = *class_from_code("nv");
  torch::Tensor logits = torch::full({4, static_cast<long>(kNumClasses)}, -5.0);
  for (long i = 0; i < 2; ++i) {
    logits[i][nv] = 1.0;
    logits[i][mel] = 0.5;
  }
  for (long i = 2; i < 4; ++i) logits[i][nv] = 9.0;
  const std::vector<int> labels = {mel, mel, nv, nv};
  // Floor reachable only below 0: the search from -0.5 finds it, the default range cannot.
  const PriorChoice from_balanced = choose_prior_adjustment(logits, labels, base, 0.5, -0.5);
  EXPECT_EQ(from_balanced.melanoma_recall, 1.0);
  EXPECT_EQ(from_balanced.accuracy, 1.0);
  const PriorChoice from_zero = choose_prior_adjustment(logits, labels, base, 0.5);
  EXPECT_EQ(from_zero.adjustment, 0.0);
  EXPECT_EQ(from_zero.melanoma_recall, 0.0);
  // The floor met from a = -0.5 to -0.3 at the same score: the first, the balanced point.
  EXPECT_EQ(from_balanced.adjustment, -0.5);
}

}  // namespace
}  // namespace skinscan
