// Training throughput per architecture and recipe on this machine (Google Benchmark):
// one optimisation step = train_step() (src/train/train_step.h, the trainer's own step) on
// 64 real HAM10000 images: augment, preprocess, forward, loss, backward, AdamW.
// items_per_second is training images per second. Recipes:
//   base     default augmentation, cross-entropy only (the recipe before issue 13)
//   shipped  Shades of Gray, acquisition-shift augmentation, EMA 0.998, lesion-mask head 0.5
// The eager-PyTorch counterpart is bench/reference_train.py (same images, nets, recipes).
//   build/train_bench [--benchmark_filter=resnet_s]   (SKINSCAN_SHARED_DATA overrides data path)
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "data/allocator.h"
#include "data/dataset.h"
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

void BM_TrainStep(benchmark::State& state, const std::string& arch, bool shipped) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  TrainOptions o;
  o.arch = arch;
  o.balance = Balance::kNone;
  if (shipped) {
    o.colour = ColourConstancy::kShadesOfGray;
    o.augment_options = AugmentOptions::strong();
    o.ema_decay = 0.998;
    o.mask_weight = 0.5;
  }
  InputSpec spec = arch_info(arch).input;
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

BENCHMARK_CAPTURE(BM_TrainStep, seed_cnn, std::string("seed-cnn"), false)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s, std::string("resnet-s"), false)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m, std::string("resnet-m"), false)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_shipped, std::string("resnet-s"), true)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_shipped, std::string("resnet-m"), true)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);

}  // namespace

int main(int argc, char** argv) {
  skinscan::tune_allocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
