// The average-last epoch rule: the running mean of weight snapshots, BatchNorm statistics
// recomputed as the plain mean over the batches of one training epoch (oversampled,
// augmented), and a real short training run whose shipped
// parameters are the mean of its last epochs' and which resumes bit for bit.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "data/error.h"
#include "model/batch_norm.h"
#include "model/preprocess.h"
#include "support/paths.h"
#include "train/small_dataset.h"
#include "train/train_step.h"
#include "train/trainer.h"
#include "train/weight_average.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;

// The rows of `x` at `indices` (what a recompute pass's forward is handed).
torch::Tensor rows(const torch::Tensor& x, const std::vector<std::size_t>& indices) {
  return x.index_select(0, torch::tensor(std::vector<long>(indices.begin(), indices.end())));
}

TEST(WeightAverage, MeanOfFloatsLatestOfIntegers) {
  WeightAverage avg;
  const std::vector<torch::Tensor> a = {torch::tensor({1.0f, 2.0f}), torch::tensor({3L})};
  const std::vector<torch::Tensor> b = {torch::tensor({2.0f, 6.0f}), torch::tensor({4L})};
  const std::vector<torch::Tensor> c = {torch::tensor({6.0f, 1.0f}), torch::tensor({9L})};
  avg.add(a);
  avg.add(b);
  avg.add(c);
  ASSERT_EQ(avg.count, 3);
  EXPECT_TRUE(torch::allclose(avg.mean[0], torch::tensor({3.0f, 3.0f})));
  EXPECT_EQ(avg.mean[1].item<long>(), 9);
  EXPECT_EQ(a[0][0].item<float>(), 1.0f);  // the first snapshot was copied, not aliased
  EXPECT_THROW(avg.add({torch::tensor({1.0f, 2.0f})}), skinscan::Error);
  EXPECT_THROW(avg.add({torch::zeros({3}), torch::tensor({1L})}), skinscan::Error);
}

// Conv + SkinScan BatchNorm over 80 real images in the caller's (shuffled) order, batches of
// 32: the pass hands forward consecutive slices of the order (the last one shorter), and
// afterwards the running mean and variance are the means over the batches of each batch's
// mean and unbiased variance of the convolution's output; the layer's momentum is back to
// its own.
TEST(WeightAverage, RecomputedBatchNormIsTheMeanOverTheCallersBatches) {
  const InputSpec spec = arch_info("resnet-s").input;
  const LabelledImages imgs =
      testing::ham10000_batch(open_dataset(testing::ham10000_dir().string()), 80, spec);
  const torch::Tensor x = to_tensor(imgs.images, spec);
  torch::manual_seed(3);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(false)),
                            BatchNorm(4));
  auto* bn = net[1]->as<BatchNormImpl>();
  bn->running_mean.fill_(5);  // stale statistics that must not survive
  std::vector<std::size_t> order(80);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937 rng(11);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::vector<std::size_t>> seen;
  recompute_batch_norm(*net, order, 32, [&](const std::vector<std::size_t>& indices) {
    seen.push_back(indices);
    net->forward(rows(x, indices));
  });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].size(), 32u);
  EXPECT_EQ(seen[1].size(), 32u);
  EXPECT_EQ(seen[2].size(), 16u);
  std::vector<std::size_t> all;
  for (const auto& b : seen) all.insert(all.end(), b.begin(), b.end());
  EXPECT_EQ(all, order);
  torch::Tensor mean_sum = torch::zeros({4}), var_sum = torch::zeros({4});
  {
    torch::NoGradGuard guard;
    for (const auto& b : seen) {
      const torch::Tensor y = net[0]->as<torch::nn::Conv2dImpl>()->forward(rows(x, b));
      mean_sum += y.mean({0, 2, 3});
      var_sum += y.var({0, 2, 3}, /*unbiased=*/true);
    }
  }
  EXPECT_TRUE(torch::allclose(bn->running_mean, mean_sum / 3, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(bn->running_var, var_sum / 3, 1e-5, 1e-6));
  EXPECT_EQ(bn->momentum, 0.1);
  EXPECT_EQ(bn->num_batches_tracked.item<long>(), 3);
  EXPECT_TRUE(net->is_training());
  EXPECT_THROW(recompute_batch_norm(*net, order, 0, [](const std::vector<std::size_t>&) {}),
               skinscan::Error);
}

// average-last's pass on a real training run: 96 real HAM10000 images (their natural, skewed
// class mix), oversampled and augmented. The pass runs over one oversampled epoch
// (epoch_length's draws, not the 96 images) in training-size batches, and its statistics
// are exactly those of recompute_batch_norm over epoch_order's batches built by step_input,
// with the run's generator; augmentation matters: the same pass without it ends elsewhere.
TEST(WeightAverage, RecomputeOnEpochUsesTheSamplersAugmentedBatches) {
  const InputSpec spec = arch_info("resnet-s").input;
  const LabelledImages train =
      testing::ham10000_batch(open_dataset(testing::ham10000_dir().string()), 96, spec);
  std::vector<int> counts(kNumClasses, 0);
  for (int y : train.labels) ++counts[static_cast<std::size_t>(y)];
  TrainOptions o = testing::short_run_options();
  o.balance = Balance::kOversample;
  o.input_width = spec.width;
  o.input_height = spec.height;
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(1);
  const std::size_t length = epoch_length(o, train.labels);
  ASSERT_GT(length, 2 * train.labels.size());  // the sample's classes are skewed
  TrainingRun run(o, spec, torch::kCPU, train, {}, counts, 1);
  const std::mt19937 start = run.rng;
  recompute_batch_norm_on_epoch(run);
  const std::vector<torch::Tensor> stats = snapshot(*run.net);
  BatchNormImpl* first = nullptr;
  for (const auto& m : run.net->modules(/*include_self=*/false)) {
    if ((first = m->as<BatchNormImpl>())) break;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->num_batches_tracked.item<long>(), static_cast<long>((length + 31) / 32));

  run.rng = start;
  const std::vector<std::size_t> order = epoch_order(run);
  recompute_batch_norm(*run.net, order, 32, [&](const std::vector<std::size_t>& indices) {
    run.net->forward(step_input(run, indices, false, run.rng).mixed.x);
  });
  const std::vector<torch::Tensor> replay = snapshot(*run.net);
  ASSERT_EQ(replay.size(), stats.size());
  for (std::size_t k = 0; k < stats.size(); ++k)
    EXPECT_TRUE(torch::equal(stats[k], replay[k])) << k;

  TrainOptions plain = o;
  plain.augment = false;
  TrainingRun unaugmented(plain, spec, torch::kCPU, train, {}, counts, 1);
  restore(*unaugmented.net, stats);  // same weights
  unaugmented.rng = start;
  recompute_batch_norm_on_epoch(unaugmented);
  const std::vector<torch::Tensor> without = snapshot(*unaugmented.net);
  bool differ = false;
  for (std::size_t k = 0; k < stats.size(); ++k) differ |= !torch::equal(stats[k], without[k]);
  EXPECT_TRUE(differ);
  torch::set_num_threads(threads_before);
}

// Same seed, same options but the epoch rule: average-last over 1 epoch ships the last
// epoch's parameters; over 2 of 3 epochs it ships the mean of epochs 2 and 3, and a run
// stopped after epoch 2 and resumed writes exactly what the uninterrupted one does. Both
// record the `last` run's own validation choices for their last epoch.
TEST(WeightAverage, TrainingShipsTheMeanOfTheLastEpochs) {
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();  // one thread: bit-for-bit reductions
  o.epochs = 3;
  o.epoch_rule = EpochRule::kLast;
  const int threads_before = torch::get_num_threads();
  testing::TempDir dir("average-last");
  const Classifier last = *train_model(ds, split, o, (dir / "last").string());

  TrainOptions one = o;
  one.epoch_rule = EpochRule::kAverageLast;
  one.average_epochs = 1;
  const Classifier avg1 = *train_model(ds, split, one, (dir / "avg1").string());
  const auto pl = last.net()->parameters(), p1 = avg1.net()->parameters();
  ASSERT_EQ(pl.size(), p1.size());
  for (std::size_t k = 0; k < pl.size(); ++k) EXPECT_TRUE(torch::equal(pl[k], p1[k])) << k;
  // The BatchNorm statistics were recomputed over a training epoch: they differ.
  const auto bl = last.net()->buffers(), b1 = avg1.net()->buffers();
  ASSERT_EQ(bl.size(), b1.size());
  bool buffers_differ = false;
  for (std::size_t k = 0; k < bl.size(); ++k) buffers_differ |= !torch::equal(bl[k], b1[k]);
  EXPECT_TRUE(buffers_differ);
  const auto& rec1 = avg1.info().extra["training"]["averaged_weights"];
  EXPECT_EQ(rec1["first_epoch"], 3);
  EXPECT_EQ(rec1["last_epoch"], 3);
  // Its raw validation loss is scored with the recomputed statistics: not the epoch row's.
  std::ifstream hf(dir / "avg1" / "history.json");
  const auto history = nlohmann::json::parse(hf);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_NE(rec1["val_loss"].get<double>(), history[2]["val_loss"].get<double>());

  TrainOptions two = o;
  two.epoch_rule = EpochRule::kAverageLast;
  two.average_epochs = 2;
  const Classifier straight = *train_model(ds, split, two, (dir / "straight").string());
  TrainOptions first = two;
  first.stop_after = 2;
  const fs::path resumed = dir / "resumed";
  EXPECT_FALSE(train_model(ds, split, first, resumed.string()).has_value());
  std::vector<torch::Tensor> epoch2;
  torch::load(epoch2, (resumed / "checkpoint" / "net.pt").string());
  EXPECT_TRUE(fs::exists(resumed / "checkpoint" / "average.pt"));
  TrainOptions again = two;
  again.resume = true;
  const Classifier b = *train_model(ds, split, again, resumed.string());

  const auto ps = straight.net()->parameters(), pb = b.net()->parameters();
  ASSERT_EQ(ps.size(), pb.size());
  ASSERT_LE(ps.size(), epoch2.size());  // snapshots: parameters, then buffers
  for (std::size_t k = 0; k < ps.size(); ++k) {
    EXPECT_TRUE(torch::equal(ps[k], pb[k])) << k;
    const torch::Tensor mean =
        ((epoch2[k].to(torch::kDouble) + pl[k].to(torch::kDouble)) / 2).to(ps[k].scalar_type());
    EXPECT_TRUE(torch::allclose(ps[k], mean, 1e-6, 1e-7)) << k;
  }
  const auto& rec = straight.info().extra["training"];
  EXPECT_EQ(rec["epoch_rule"], "average-last");
  EXPECT_EQ(rec["average_epochs"], 2);
  EXPECT_EQ(rec["best_epoch"], 3);
  EXPECT_EQ(rec["averaged_weights"]["first_epoch"], 2);
  const double acc = rec["averaged_weights"]["val_accuracy"].get<double>();
  EXPECT_TRUE(acc >= 0.0 && acc <= 1.0);
  EXPECT_GT(rec["averaged_weights"]["val_loss"].get<double>(), 0.0);
  EXPECT_EQ(b.info().extra["training"]["resumed_after_epoch"], 2);
  // The averaged run also scores what `last` ships from the same trajectory: exactly the
  // `last` run's validation-only choices and scores, uninterrupted or resumed.
  const auto& choices = rec["averaged_weights"]["last_epoch_choices"];
  EXPECT_EQ(choices["validation"], last.info().extra["metrics"]["validation"]);
  EXPECT_EQ(choices["prior_choice_on_validation"],
            last.info().extra["training"]["prior_choice_on_validation"]);
  EXPECT_FALSE(choices.contains("test"));
  EXPECT_EQ(b.info().extra["training"]["averaged_weights"]["last_epoch_choices"], choices);

  TrainOptions bad = two;
  bad.average_epochs = 4;
  EXPECT_THROW(train_model(ds, split, bad, (dir / "bad").string()), skinscan::Error);
  torch::set_num_threads(threads_before);
}

}  // namespace
}  // namespace skinscan
