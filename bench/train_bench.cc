// Training throughput per architecture and recipe on this machine (Google Benchmark):
// one optimisation step = train_step() (src/train/train_step.h, the trainer's own step) on
// 64 real HAM10000 images: augment, preprocess, forward, loss, backward, AdamW.
// items_per_second is training images per second of wall-clock time (UseRealTime: the
// replica rows compute on worker threads, not on the benchmark's own). Recipes:
//   base     default augmentation, cross-entropy only (the recipe before issue 13)
//   shipped  Shades of Gray, acquisition-shift augmentation, EMA 0.998, lesion-mask head 0.5
//   bf16     base with --precision bf16 (CPU autocast to bfloat16, channels-last)
// at the architecture's input size or at 128x96 (the _128 rows). The _r2 rows cut each step
// into 2 data-parallel shards (`--replicas 2`: two copies of the net, one thread each)
// instead of one step on 2 intra-op threads; the _cl rows train float32 channels-last
// (`--channels-last`).
// The eager-PyTorch counterpart is bench/reference_train.py (same images, nets, recipes).
//   build/train_bench [--benchmark_filter=resnet_s]   (SKINSCAN_SHARED_DATA overrides data path)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "data/allocator.h"
#include "data/dataset.h"
#include "model/batch_norm.h"
#include "model/preprocess.h"
#include "train/augment.h"
#include "train/masks.h"
#include "train/train_step.h"

namespace {

using namespace skinscan;

constexpr std::size_t kBatch = 64;

Dataset shared_ham10000() {
  const char* env = std::getenv("SKINSCAN_SHARED_DATA");
  const std::string root = env ? env : SKINSCAN_SHARED_DATA_DIR;
  return open_dataset(root + "/ham10000");
}

void BM_TrainStep(benchmark::State& state, const std::string& arch, const std::string& recipe,
                  int width = 0, int height = 0, int replicas = 1, bool channels_last = false) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  TrainOptions o;
  o.arch = arch;
  o.balance = Balance::kNone;
  o.replicas = replicas;
  o.channels_last = channels_last;
  const bool shipped = recipe == "shipped";
  if (recipe == "bf16") o.precision = Precision::kBf16;
  if (recipe == "ghost") o.ghost_batch_norm = true;  // replicas > 1: per-copy BatchNorm
  if (shipped) {
    o.colour = ColourConstancy::kShadesOfGray;
    o.augment_options = AugmentOptions::strong();
    o.ema_decay = 0.998;
    o.mask_weight = 0.5;
  }
  InputSpec spec = arch_info(arch).input;
  if (width > 0) {
    spec.width = width;
    spec.height = height;
  }
  spec.colour = o.colour;
  const Dataset ds = shared_ham10000();
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < kBatch; ++i) idx.push_back(i * 97);
  LabelledImages train{load_model_inputs(ds, idx, spec, false), {}};
  for (std::size_t i : idx) train.labels.push_back(ds.samples[i].dx);
  const std::vector<cv::Mat> masks = shipped ? load_masks(ds, idx, spec) : std::vector<cv::Mat>{};
  std::vector<int> counts(kNumClasses, 1);
  TrainingRun run(o, spec, torch::kCPU, train, masks, counts, 1000);
  run.net->train();
  std::vector<std::size_t> all(kBatch);
  for (std::size_t i = 0; i < kBatch; ++i) all[i] = i;
  for (auto _ : state) benchmark::DoNotOptimize(train_step(run, all).loss);
  state.SetItemsProcessed(state.iterations() * static_cast<long>(kBatch));
}

// The part of the step that runs on one thread in the standard step: augmenting the batch's
// 64 images (OpenCV) and THE preprocessing into a tensor. Its share of a step's time bounds
// what spreading the batch's images over threads could gain.
void BM_AugmentBatch(benchmark::State& state, const std::string& arch, bool strong) {
  const InputSpec spec = arch_info(arch).input;
  const Dataset ds = shared_ham10000();
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < kBatch; ++i) idx.push_back(i * 97);
  const std::vector<cv::Mat> images = load_model_inputs(ds, idx, spec, false);
  const AugmentOptions options = strong ? AugmentOptions::strong() : AugmentOptions{};
  std::vector<std::size_t> all(images.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::mt19937 rng(1);
  for (auto _ : state) {
    const AugmentedBatch batch = augment_batch(images, {}, all, &options, rng);
    benchmark::DoNotOptimize(to_tensor(batch.images, spec).data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long>(kBatch));
}

// One BatchNorm layer's training forward + backward on one thread, on resnet-m's largest
// map (32 images of one shard, 32 channels, 48x36, channels-last): LibTorch's own batch
// norm against SkinScan's synchronised one with a single copy (no waiting), so the
// difference is the synchronised arithmetic's own cost per layer.
void BM_BatchNormLayer(benchmark::State& state, bool synced) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({32, 32, 36, 48}).contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor dy = torch::randn_like(x);
  BatchNorm bn(32);
  bn->train();
  if (synced) {
    auto sync = std::make_shared<BatchNormSync>(1);
    sync->begin_step(1);
    bn->sync = sync;
  }
  const torch::Tensor input = x.detach().requires_grad_(true);
  for (auto _ : state) {
    const torch::Tensor y = bn(input);
    y.backward(dy);
    benchmark::DoNotOptimize(input.grad().data_ptr());
    input.mutable_grad() = torch::Tensor();
  }
}

// One row per (name, architecture, recipe, input size, replicas, channels-last, threads).
struct Row {
  const char* name;
  const char* arch;
  const char* recipe;
  int width = 0, height = 0, replicas = 1;
  bool channels_last = false;
  std::vector<int> threads = {2};
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"seed_cnn", "seed-cnn", "base"},
      {"resnet_s", "resnet-s", "base", 0, 0, 1, false, {1, 2}},
      {"resnet_m", "resnet-m", "base"},
      {"resnet_s_shipped", "resnet-s", "shipped"},
      {"resnet_m_shipped", "resnet-m", "shipped"},
      {"resnet_s_bf16", "resnet-s", "bf16", 0, 0, 1, false, {1, 2}},
      {"resnet_m_bf16", "resnet-m", "bf16"},
      {"resnet_s_128", "resnet-s", "base", 128, 96},
      {"resnet_m_128", "resnet-m", "base", 128, 96},
      {"resnet_s_bf16_128", "resnet-s", "bf16", 128, 96},
      {"resnet_m_bf16_128", "resnet-m", "bf16", 128, 96},
      {"resnet_s_hr", "resnet-s-hr", "base", 0, 0, 1, false, {1, 2}},
      {"resnet_s_r2", "resnet-s", "base", 0, 0, 2},
      {"resnet_m_r2", "resnet-m", "base", 0, 0, 2},
      {"resnet_s_bf16_r2", "resnet-s", "bf16", 0, 0, 2},
      {"resnet_m_bf16_r2", "resnet-m", "bf16", 0, 0, 2},
      {"resnet_s_cl", "resnet-s", "base", 0, 0, 1, true},
      {"resnet_m_cl", "resnet-m", "base", 0, 0, 1, true},
      {"resnet_s_cl_r2", "resnet-s", "base", 0, 0, 2, true},
      {"resnet_m_cl_r2", "resnet-m", "base", 0, 0, 2, true},
      {"resnet_s_cl_r2_ghost", "resnet-s", "ghost", 0, 0, 2, true},
      {"resnet_m_cl_r2_ghost", "resnet-m", "ghost", 0, 0, 2, true},
  };
  return r;
}

void register_all() {
  for (const Row& row : rows()) {
    const std::string arch = row.arch, recipe = row.recipe;
    auto* b = benchmark::RegisterBenchmark(
        (std::string("BM_TrainStep/") + row.name).c_str(), [=](benchmark::State& s) {
          BM_TrainStep(s, arch, recipe, row.width, row.height, row.replicas, row.channels_last);
        });
    for (const int t : row.threads) b->Arg(t);
    b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(arch == "seed-cnn" ? 3 : 5);
  }
  for (const bool synced : {false, true}) {
    benchmark::RegisterBenchmark(synced ? "BM_BatchNormLayer/synced" : "BM_BatchNormLayer/native",
                                 [=](benchmark::State& s) { BM_BatchNormLayer(s, synced); })
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(2);
  }
  for (const bool strong : {false, true}) {
    benchmark::RegisterBenchmark(
        strong ? "BM_AugmentBatch/resnet_s_strong" : "BM_AugmentBatch/resnet_s",
        [=](benchmark::State& s) { BM_AugmentBatch(s, "resnet-s", strong); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  skinscan::tune_allocator();
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
