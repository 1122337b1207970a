// Data-parallel training steps (`--replicas N`) on real HAM10000 images: the worker pool
// keeps its contract (one intra-op thread per worker, errors rethrown, reusable); the
// copies' batch-statistics exchange hands out every copy's tensors and never strands a copy;
// the shards' weighted gradients sum to the whole batch's gradient; with synchronised
// BatchNorm a training-mode step is the whole-batch step (gradients and running statistics),
// with ghost BatchNorm the running statistics become the mean of the per-shard updates; a
// short run is deterministic,
// resumes bit for bit and records its replica count. Float32 channels-last training
// (`--channels-last`) computes the same step up to accumulation order and precision.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "model/batch_norm.h"
#include "model/classifier_torch.h"
#include "support/paths.h"
#include "train/replica_workers.h"
#include "train/small_dataset.h"
#include "train/train_step.h"
#include "train/trainer.h"

namespace skinscan {
namespace {

namespace fs = std::filesystem;

TEST(ReplicaWorkers, EachWorkerComputesOnOneThreadAndErrorsComeBack) {
  const int caller_threads = at::get_num_threads();
  ReplicaWorkers workers(3);
  ASSERT_EQ(workers.size(), 3u);
  std::vector<int> threads(3, -1);
  std::atomic<int> calls{0};
  workers.run([&](std::size_t k) {
    threads[k] = at::get_num_threads();
    ++calls;
  });
  EXPECT_EQ(calls.load(), 3);
  for (int t : threads) EXPECT_EQ(t, 1);
  EXPECT_EQ(at::get_num_threads(), caller_threads);  // the caller's pool is untouched

  EXPECT_THROW(workers.run([&](std::size_t k) {
    ++calls;
    if (k == 1) throw std::runtime_error("shard 1 failed");
  }),
               std::runtime_error);
  EXPECT_EQ(calls.load(), 6);                  // the others still ran to the end
  workers.run([&](std::size_t) { ++calls; });  // and the pool still works
  EXPECT_EQ(calls.load(), 9);
}

TEST(BatchNormSync, AllGatherHandsEveryCopyAllTensorsInRankOrder) {
  BatchNormSync sync(3);
  for (const std::size_t copies : {std::size_t{3}, std::size_t{2}}) {
    sync.begin_step(copies);
    std::vector<int> wrong(copies, 0);
    std::vector<std::thread> threads;
    for (std::size_t rank = 0; rank < copies; ++rank) {
      threads.emplace_back([&, rank] {
        // Many exchanges back to back: a copy that runs ahead must not overwrite what a
        // slower one has still to read.
        for (int round = 0; round < 300; ++round) {
          const torch::Tensor mine = torch::full({2}, 1000.0 * static_cast<double>(rank) + round);
          const std::vector<torch::Tensor> all = sync.all_gather(rank, mine);
          if (all.size() != copies) ++wrong[rank];
          for (std::size_t k = 0; k < all.size(); ++k)
            if (all[k][1].item<double>() != 1000.0 * static_cast<double>(k) + round) ++wrong[rank];
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (std::size_t rank = 0; rank < copies; ++rank) EXPECT_EQ(wrong[rank], 0) << rank;
  }
  EXPECT_THROW(sync.all_gather(2, torch::zeros({1})), skinscan::Error);  // not taking part
  EXPECT_THROW(sync.begin_step(4), skinscan::Error);
}

TEST(BatchNormSync, AbortReleasesTheCopiesWaitingForAFailedOne) {
  BatchNormSync sync(2);
  sync.begin_step(2);
  std::atomic<bool> released{false};
  std::thread waiting([&] {
    try {
      sync.all_gather(0, torch::zeros({1}));  // copy 1 never comes
    } catch (const ExchangeAborted&) {
      released = true;
    }
  });
  sync.abort();  // what copy 1 does when its step throws
  waiting.join();
  EXPECT_TRUE(released.load());
  EXPECT_THROW(sync.all_gather(0, torch::zeros({1})), ExchangeAborted);  // the rest of the step
  sync.begin_step(1);  // the next step starts clean
  EXPECT_EQ(sync.all_gather(0, torch::ones({1})).size(), 1u);
}

// Two runs from the same initial weights, one step on the same 32 images, no augmentation:
// one whole-batch step and one cut into 3 uneven shards (11, 11, 10).
struct StepPair {
  testing::OneBatch batch = testing::one_batch(32);
  TrainOptions whole_o, split_o;
  std::unique_ptr<TrainingRun> whole, split;
  explicit StepPair(bool ghost_batch_norm = false) {
    whole_o.augment = false;
    whole_o.balance = Balance::kNone;
    split_o = whole_o;
    split_o.replicas = 3;
    split_o.ghost_batch_norm = ghost_batch_norm;
    torch::manual_seed(11);
    whole = std::make_unique<TrainingRun>(whole_o, batch.spec, torch::kCPU, batch.train,
                                          std::vector<cv::Mat>{}, batch.counts, 10);
    torch::manual_seed(11);
    split = std::make_unique<TrainingRun>(split_o, batch.spec, torch::kCPU, batch.train,
                                          std::vector<cv::Mat>{}, batch.counts, 10);
  }
};

TEST(Replicas, ShardGradientsSumToTheWholeBatchGradient) {
  StepPair p;
  // BatchNorm on running statistics: each image's output no longer depends on the others in
  // its batch, so the only difference left is how the gradient is assembled.
  p.whole->net->eval();
  p.split->net->eval();
  const StepResult a = train_step(*p.whole, p.batch.all);
  const StepResult b = train_step(*p.split, p.batch.all);
  EXPECT_NEAR(a.loss, b.loss, 1e-5 * a.loss);
  EXPECT_EQ(a.correct, b.correct);
  const auto pa = p.whole->net->parameters(), pb = p.split->net->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    ASSERT_TRUE(pa[k].grad().defined()) << k;
    ASSERT_TRUE(pb[k].grad().defined()) << k;
    const double scale = pa[k].grad().abs().max().item<double>() + 1e-12;
    worst = std::max(worst, (pa[k].grad() - pb[k].grad()).abs().max().item<double>() / scale);
  }
  std::printf("largest relative gradient difference: %.2e\n", worst);
  EXPECT_LT(worst, 1e-4);
  // The copies were refreshed from the network before the step: a gradient computed on
  // stale (e.g. initial random) weights would differ by far more than the bound above.
}

// Dropout off (p = 0) in a net and its copies, so that two runs draw no masks at all.
void without_dropout(const TrainingRun& run) {
  std::vector<Net> nets = run.replica_nets;
  nets.push_back(run.net);
  for (const Net& net : nets)
    for (const auto& m : net->modules(/*include_self=*/false))
      if (auto* d = dynamic_cast<torch::nn::DropoutImpl*>(m.get())) d->options.p(0.0);
}

// Largest difference between the two runs' gradients, relative to each tensor's largest.
double worst_gradient_difference(const TrainingRun& a, const TrainingRun& b) {
  const auto pa = a.net->parameters(), pb = b.net->parameters();
  double worst = 0;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    const double scale = pa[k].grad().abs().max().item<double>() + 1e-12;
    worst = std::max(worst, (pa[k].grad() - pb[k].grad()).abs().max().item<double>() / scale);
  }
  return worst;
}

TEST(Replicas, SynchronisedBatchNormStepIsTheWholeBatchStep) {
  // In training mode, BatchNorm on batch statistics: the copies must pool theirs.
  for (const bool ghost : {false, true}) {
    StepPair p(ghost);
    ASSERT_EQ(p.split->batch_norm_sync != nullptr, !ghost);
    p.whole->net->train();
    p.split->net->train();
    without_dropout(*p.whole);
    without_dropout(*p.split);
    const StepResult a = train_step(*p.whole, p.batch.all);
    const StepResult b = train_step(*p.split, p.batch.all);
    const double worst = worst_gradient_difference(*p.whole, *p.split);
    std::printf("%s batch norm: loss %.6f vs %.6f, largest relative gradient difference %.2e\n",
                ghost ? "ghost" : "synchronised", a.loss, b.loss, worst);
    const auto ba = p.whole->net->buffers(), bb = p.split->net->buffers();
    ASSERT_EQ(ba.size(), bb.size());
    double worst_buffer = 0;
    for (std::size_t k = 0; k < ba.size(); ++k) {
      if (!ba[k].is_floating_point()) {
        EXPECT_TRUE(torch::equal(ba[k], bb[k])) << k;  // batches tracked
        continue;
      }
      worst_buffer = std::max(worst_buffer, (ba[k] - bb[k]).abs().max().item<double>() /
                                                (ba[k].abs().max().item<double>() + 1e-12));
    }
    if (ghost) {
      // Each copy normalised over its 10-11 images: another function of the batch, so the
      // comparison above can tell the two apart.
      EXPECT_GT(worst, 1e-2);
    } else {
      EXPECT_NEAR(a.loss, b.loss, 1e-5 * a.loss);
      EXPECT_EQ(a.correct, b.correct);
      EXPECT_LT(worst, 1e-4);         // 9e-6 measured: summation order only
      EXPECT_LT(worst_buffer, 1e-5);  // running statistics of the whole batch
    }
  }
}

TEST(ChannelsLast, Float32StepIsTheStandardLayoutsUpToAccumulationOrder) {
  const testing::OneBatch batch = testing::one_batch(32);
  TrainOptions plain;
  plain.augment = false;
  plain.balance = Balance::kNone;
  TrainOptions cl = plain;
  cl.channels_last = true;
  torch::manual_seed(7);
  TrainingRun a(plain, batch.spec, torch::kCPU, batch.train, {}, batch.counts, 10);
  torch::manual_seed(7);
  TrainingRun b(cl, batch.spec, torch::kCPU, batch.train, {}, batch.counts, 10);
  EXPECT_TRUE(b.net->parameters()[0].is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_FALSE(b.net->parameters()[0].is_contiguous());
  a.net->train();
  b.net->train();
  torch::manual_seed(8);  // the same dropout masks
  const StepResult ra = train_step(a, batch.all);
  torch::manual_seed(8);
  const StepResult rb = train_step(b, batch.all);
  EXPECT_NEAR(ra.loss, rb.loss, 1e-5 * ra.loss);
  const auto pa = a.net->parameters(), pb = b.net->parameters();
  std::vector<torch::Tensor> ga, gb;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    EXPECT_EQ(pb[k].scalar_type(), torch::kFloat32);
    ga.push_back(pa[k].grad().flatten());
    gb.push_back(pb[k].grad().contiguous().flatten());
  }
  const torch::Tensor da = torch::cat(ga), db = torch::cat(gb);
  const double rel = ((da - db).norm() / da.norm()).item<double>();
  std::printf("channels-last against standard layout: relative gradient difference %.2e\n", rel);
  // Not bit for bit: the channels-last kernels accumulate in another order and precision
  // (0.17% here, amplified by BatchNorm's backward); the same layout on 1 or 2 threads is
  // bit-identical. A layout bug (a transposed input or weight) would be of order 1.
  EXPECT_GT(rel, 0.0);
  EXPECT_LT(rel, 1e-2);
}

TEST(Replicas, GhostBatchNormStatisticsAreTheMeanOfTheShards) {
  StepPair p(/*ghost_batch_norm=*/true);
  const std::vector<torch::Tensor> before = snapshot(*p.split->net);
  p.split->net->train();
  train_step(*p.split, p.batch.all);
  // Expected: each shard's forward in train mode on a fresh copy of the initial network,
  // then the mean of the copies' running statistics.
  std::vector<std::vector<torch::Tensor>> per_shard;
  for (const auto& [from, to] : {std::pair{0, 11}, std::pair{11, 22}, std::pair{22, 32}}) {
    Net copy = make_net("resnet-s", p.batch.spec);
    restore(*copy, before);
    copy->train();
    std::vector<cv::Mat> imgs(p.batch.train.images.begin() + from,
                              p.batch.train.images.begin() + to);
    torch::NoGradGuard guard;
    copy->forward(to_tensor(imgs, p.batch.spec));
    per_shard.push_back(copy->buffers());
  }
  const auto got = p.split->net->buffers();
  ASSERT_EQ(got.size(), per_shard[0].size());
  int compared = 0;
  for (std::size_t k = 0; k < got.size(); ++k) {
    if (!got[k].is_floating_point()) continue;
    const torch::Tensor want = (per_shard[0][k] + per_shard[1][k] + per_shard[2][k]) / 3.0;
    EXPECT_TRUE(torch::allclose(got[k], want, 1e-5, 1e-6)) << k;
    EXPECT_FALSE(torch::allclose(got[k], per_shard[0][k], 1e-5, 1e-6)) << k;  // not shard 0's
    ++compared;
  }
  EXPECT_GT(compared, 10);
}

TEST(Replicas, ShortRunIsDeterministicResumesBitForBitAndIsRecorded) {
  const Dataset ds = testing::ham10000_sample(9);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();
  o.replicas = 2;
  o.channels_last = true;
  o.epochs = 2;
  o.version = "replicas-test";
  testing::TempDir dir("replicas");
  const Classifier a = *train_model(ds, split, o, (dir / "a").string());
  const Classifier b = *train_model(ds, split, o, (dir / "b").string());
  TrainOptions first = o;
  first.stop_after = 1;
  EXPECT_FALSE(train_model(ds, split, first, (dir / "c").string()).has_value());
  TrainOptions again = o;
  again.resume = true;
  const Classifier c = *train_model(ds, split, again, (dir / "c").string());
  const auto pa = a.net()->parameters(), pb = b.net()->parameters(), pc = c.net()->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  ASSERT_EQ(pa.size(), pc.size());
  for (std::size_t k = 0; k < pa.size(); ++k) {
    EXPECT_TRUE(torch::equal(pa[k], pb[k])) << k;
    EXPECT_TRUE(torch::equal(pa[k], pc[k])) << k;
    EXPECT_TRUE(pa[k].is_contiguous()) << k;  // saved in the standard layout
  }
  std::ifstream mf(dir / "a" / "model.json");
  const auto model = nlohmann::json::parse(mf);
  EXPECT_EQ(model["training"]["replicas"], 2);
  EXPECT_EQ(model["training"]["batch_norm"], "synchronised");
  EXPECT_EQ(model["training"]["channels_last"], true);
  std::ifstream hf(dir / "a" / "history.json");
  const auto history = nlohmann::json::parse(hf);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_LT(history[1]["train_loss"].get<double>(), history[0]["train_loss"].get<double>());

  // A run with one replica is another recipe: its resume key differs, so it is refused.
  TrainOptions plain = o;
  plain.replicas = 1;
  plain.stop_after = 1;
  EXPECT_FALSE(train_model(ds, split, plain, (dir / "d").string()).has_value());
  TrainOptions mixed = o;
  mixed.resume = true;
  EXPECT_THROW(train_model(ds, split, mixed, (dir / "d").string()), skinscan::Error);
}

TEST(Replicas, OwnDropoutGeneratorDrawsWhatNnDropoutDraws) {
  const testing::OneBatch batch = testing::one_batch(8);
  const torch::Tensor x = to_tensor(batch.train.images, batch.spec);
  torch::manual_seed(5);
  Net net = make_net("resnet-s", batch.spec);
  net->train();
  torch::NoGradGuard guard;
  torch::manual_seed(21);
  const torch::Tensor global = net->forward(x);  // nn::Dropout on LibTorch's generator
  net->dropout_generator = at::make_generator<at::CPUGeneratorImpl>(21);
  const torch::Tensor own = net->forward(x);
  EXPECT_TRUE(torch::equal(global, own));
  const torch::Tensor next = net->forward(x);  // the generator moved on: another mask
  EXPECT_FALSE(torch::equal(own, next));
  net->eval();  // no dropout at all
  EXPECT_TRUE(torch::equal(net->forward(x), net->forward(x)));
}

TEST(Replicas, MoreReplicasThanImagesOrGhostBatchNormWithoutReplicasIsRefused) {
  const Dataset ds = testing::ham10000_sample(50);
  const Split split = make_split(ds);
  TrainOptions o = testing::short_run_options();
  o.batch_size = 4;
  o.replicas = 5;
  testing::TempDir dir("replicas-bad");
  EXPECT_THROW(train_model(ds, split, o, (dir / "m").string()), skinscan::Error);
  EXPECT_FALSE(fs::exists(dir / "m" / "model.json"));
  TrainOptions ghost_alone = testing::short_run_options();
  ghost_alone.ghost_batch_norm = true;  // a data-parallel recipe without copies
  EXPECT_THROW(train_model(ds, split, ghost_alone, (dir / "g").string()), skinscan::Error);
  EXPECT_FALSE(fs::exists(dir / "g" / "model.json"));
}

}  // namespace
}  // namespace skinscan
