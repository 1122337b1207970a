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

BENCHMARK_CAPTURE(BM_TrainStep, seed_cnn, std::string("seed-cnn"), std::string("base"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s, std::string("resnet-s"), std::string("base"))
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m, std::string("resnet-m"), std::string("base"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_shipped, std::string("resnet-s"), std::string("shipped"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_shipped, std::string("resnet-m"), std::string("shipped"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_bf16, std::string("resnet-s"), std::string("bf16"))
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_bf16, std::string("resnet-m"), std::string("bf16"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_128, std::string("resnet-s"), std::string("base"), 128, 96)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_128, std::string("resnet-m"), std::string("base"), 128, 96)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_bf16_128, std::string("resnet-s"), std::string("bf16"),
                  128, 96)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_bf16_128, std::string("resnet-m"), std::string("bf16"),
                  128, 96)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_r2, std::string("resnet-s"), std::string("base"), 0, 0, 2)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_r2, std::string("resnet-m"), std::string("base"), 0, 0, 2)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_bf16_r2, std::string("resnet-s"), std::string("bf16"), 0,
                  0, 2)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_bf16_r2, std::string("resnet-m"), std::string("bf16"), 0,
                  0, 2)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_cl, std::string("resnet-s"), std::string("base"), 0, 0, 1,
                  true)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_cl, std::string("resnet-m"), std::string("base"), 0, 0, 1,
                  true)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s_cl_r2, std::string("resnet-s"), std::string("base"), 0, 0,
                  2, true)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m_cl_r2, std::string("resnet-m"), std::string("base"), 0, 0,
                  2, true)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5);

}  // namespace

int main(int argc, char** argv) {
  skinscan::tune_allocator();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
