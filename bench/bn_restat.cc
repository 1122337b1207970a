// Post-hoc BatchNorm re-estimate of a finished run (issue 13's ablation; never on the product
// path, never run by CTest). Loads the trained model directory RUN, recomputes every
// BatchNorm layer's running statistics over one epoch of batches drawn as training draws them
// (oversampled, shuffled, batch size and seed as the run recorded), each augmented with the
// DEFAULT augmentation (train/augment.h's AugmentOptions{}: the geometry and mild photometrics
// the base recipe trains on), then re-makes the validation-only choices (prior adjustment,
// temperature) and scores the split's validation rows. Test rows are never loaded.
// Writes OUT (weights.pt and model.json with the new calibration and "metrics":
// {"validation": ...}) and prints the validation scores as JSON.
//   build/bn_restat RUN DATA SPLIT OUT
//   e.g. build/bn_restat /work/full/colour-f1 ../shared/data/ham10000 /work/full/fold1.json
//          /work/full/colour-restat-f1     (one command line)
// The question it answers (docs/benchmarks.md, session 32): does a colour-augmented run lose
// clean accuracy because its statistics were estimated on jittered batches?
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "model/model_dir.h"
#include "model/model_info.h"
#include "train/finalize.h"
#include "train/split.h"
#include "train/train_options.h"
#include "train/train_step.h"

namespace {

using namespace skinscan;

int run(const std::string& run_dir, const std::string& data, const std::string& split_path,
        const std::string& out_dir) {
  torch::set_num_threads(1);
  ModelInfo info = load_model_info(run_dir);
  nlohmann::json recorded;
  std::ifstream(run_dir + "/model.json") >> recorded;
  const nlohmann::json& training = recorded.at("training");
  if (training.at("balance").get<std::string>() != "oversample") {
    std::fprintf(stderr, "bn_restat: %s was not trained with --balance oversample\n",
                 run_dir.c_str());
    return 2;
  }
  TrainOptions o;
  o.balance = Balance::kOversample;
  o.batch_size = training.at("batch_size").get<int>();
  o.seed = training.at("seed").get<std::uint64_t>();
  o.min_mel_recall = training.at("min_mel_recall").get<double>();
  o.augment = true;
  o.augment_options = AugmentOptions{};

  const Dataset ds = open_dataset(data);
  const Split split = align_split(load_split(split_path), ds);
  const LabelledImages train = load_part(ds, split.indices(Part::kTrain), info.input, false);
  const LabelledImages val = load_part(ds, split.indices(Part::kVal), info.input, false);
  std::vector<int> counts(kNumClasses, 0);
  for (const int y : train.labels) ++counts[static_cast<std::size_t>(y)];
  const std::vector<cv::Mat> no_masks;
  TrainingRun tr(o, info.input, torch::kCPU, train, no_masks, counts, 1);
  tr.net = load_weights(run_dir, info);
  recompute_batch_norm_on_epoch(tr);
  tr.net->eval();
  const Finalized fin = calibrate_and_score(tr.net, info, val, LabelledImages{}, o.min_mel_recall,
                                            balanced_prior_adjustment(o.balance));
  std::filesystem::create_directories(out_dir);
  save_model(out_dir, info, tr.net);
  nlohmann::ordered_json written = model_info_json(info);
  written["metrics"] = fin.metrics;
  written["bn_restat"] = {{"from", run_dir},
                          {"augment", "default"},
                          {"note", "BatchNorm statistics re-estimated post hoc (bench/bn_restat)"}};
  save_model_json(out_dir, written);
  std::printf("%s\n", fin.metrics.at("validation").dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bn_restat RUN DATA SPLIT OUT\n");
    return 2;
  }
  try {
    return run(argv[1], argv[2], argv[3], argv[4]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bn_restat: %s\n", e.what());
    return 1;
  }
}
