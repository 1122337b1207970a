// Where one upload's serving time goes (Google Benchmark), stage by stage, with the model of
// a model directory (default: the shipped models/default) on the nine full-size samples of
// ../shared/data/full-size-samples, one torch thread -- what `skinscan bench predict`
// measures end to end (its Screen row), cut into the stages of src/screen/engine.h:
//   Decode        bytes -> RGB at no less than twice the input (reduced JPEG decode)
//   Preprocess    area resize + THE preprocessing -> [1,3,H,W] (Classifier::batch)
//   Forward       the network(s): logits and pooled features (BatchNorm folded, oneDNN)
//   LesionScore   the feature detector's Mahalanobis score
//   PhotoCheck    the 12 colour/texture statistics and their score
//   Screen        all of it, Engine::screen (bytes in memory -> decision)
// Each iteration takes the next sample in turn; times are per image.
//   build/predict_bench [--benchmark_filter=Forward]
//   (SKINSCAN_MODEL and SKINSCAN_SHARED_DATA override the model and data paths)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/preprocess.h"
#include "screen/engine.h"

namespace {

using namespace skinscan;
using Bytes = std::vector<std::uint8_t>;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

const Engine& engine() {
  static const auto e = [] {
    torch::set_num_threads(1);
    return Engine::load(env_or("SKINSCAN_MODEL", SKINSCAN_SOURCE_DIR "/models/default"));
  }();
  return *e;
}

const std::vector<Bytes>& samples() {
  static const std::vector<Bytes> s = [] {
    std::vector<Bytes> out;
    const std::filesystem::path dir =
        env_or("SKINSCAN_SHARED_DATA", SKINSCAN_SHARED_DATA_DIR) + "/full-size-samples";
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      out.push_back(read_file_bytes(e.path().string(), 50u << 20));
    }
    return out;
  }();
  return s;
}

cv::Mat decoded(const Bytes& b) {
  return decode_rgb(b, engine().limits(), min_decode_side(engine().info().input));
}

// Runs `stage` on sample i % n's prepared input, one image per iteration.
template <typename Input, typename Stage>
void per_image(benchmark::State& state, const std::vector<Input>& inputs, Stage stage) {
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(stage(inputs[i++ % inputs.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}

std::vector<cv::Mat> decoded_samples() {
  std::vector<cv::Mat> out;
  for (const Bytes& b : samples()) out.push_back(decoded(b));
  return out;
}

std::vector<torch::Tensor> input_batches() {
  std::vector<torch::Tensor> out;
  for (const cv::Mat& m : decoded_samples()) out.push_back(engine().classifier().batch({m}));
  return out;
}

void BM_Decode(benchmark::State& state) { per_image(state, samples(), decoded); }

void BM_Preprocess(benchmark::State& state) {
  per_image(state, decoded_samples(),
            [](const cv::Mat& m) { return engine().classifier().batch({m}); });
}

void BM_Forward(benchmark::State& state) {
  per_image(state, input_batches(), [](const torch::Tensor& x) {
    return engine().classifier().features_and_logits(x).second;
  });
}

void BM_LesionScore(benchmark::State& state) {
  std::vector<torch::Tensor> features;
  for (const torch::Tensor& x : input_batches()) {
    features.push_back(engine().classifier().features_and_logits(x).first);
  }
  per_image(state, features, [](const torch::Tensor& f) { return engine().detector().scores(f); });
}

void BM_PhotoCheck(benchmark::State& state) {
  per_image(state, decoded_samples(), [](const cv::Mat& m) {
    return engine().photo_check().score(engine().photo_check().stats(m));
  });
}

void BM_Screen(benchmark::State& state) {
  per_image(state, samples(), [](const Bytes& b) { return engine().screen(b).lesion_score; });
}

BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Preprocess)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Forward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LesionScore)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PhotoCheck)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Screen)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
