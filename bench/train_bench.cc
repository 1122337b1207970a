// Training throughput per architecture on this machine (Google Benchmark):
// one optimisation step = augment 64 real HAM10000 images, forward, loss, backward, AdamW.
// items_per_second is training images per second.
//   build/train_bench [--benchmark_filter=resnet-s]   (SKINSCAN_SHARED_DATA overrides data path)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "data/allocator.h"
#include "data/dataset.h"
#include "model/nets.h"
#include "train/augment.h"

namespace {

using namespace skinscan;

constexpr int kBatch = 64;

std::vector<cv::Mat> real_images(const InputSpec& spec) {
  const char* env = std::getenv("SKINSCAN_SHARED_DATA");
  const std::string root = env ? env : SKINSCAN_SHARED_DATA_DIR;
  const Dataset ds = open_dataset(root + "/ham10000");
  std::vector<cv::Mat> out;
  for (std::size_t i = 0; i < kBatch; ++i) {
    out.push_back(resize_for_model(load_image(ds, i * 97), spec));
  }
  return out;
}

void BM_TrainStep(benchmark::State& state, const std::string& arch) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  const InputSpec spec = arch_info(arch).input;
  const auto images = real_images(spec);
  Net net = make_net(arch, spec);
  net->train();
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-3));
  std::mt19937 rng(1);
  const torch::Tensor y = torch::randint(0, 7, {kBatch}, torch::kLong);
  for (auto _ : state) {
    std::vector<cv::Mat> batch;
    for (const auto& m : images) batch.push_back(augment(m, {}, rng));
    opt.zero_grad();
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(net->forward(to_tensor(batch, spec)), y);
    loss.backward();
    opt.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK_CAPTURE(BM_TrainStep, seed_cnn, std::string("seed-cnn"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_s, std::string("resnet-s"))
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5);
BENCHMARK_CAPTURE(BM_TrainStep, resnet_m, std::string("resnet-m"))
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
