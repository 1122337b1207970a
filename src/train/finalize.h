// What `skinscan train` and `skinscan ensemble` share after a network's weights are final:
// decoding a split's parts once at model size, batched logits, and the post-training
// choices, made on VALIDATION only (prior adjustment, then temperature), followed by the
// scores of validation and, when the split has one, test.
// Torch-free header: the network, logits and device are declared in model/torch_fwd.h.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "data/dataset.h"
#include "model/model_info.h"
#include "model/torch_fwd.h"
#include "train/calibrate.h"

namespace skinscan {

// Today's UTC date, YYYY-MM-DD (the default prefix of model versions).
std::string utc_date();

struct LabelledImages {
  std::vector<cv::Mat> images;  // model-sized RGB (resize_for_model)
  std::vector<int> labels;
};

// Decodes and resizes the images `idx` of `ds` (both cores).
LabelledImages load_part(const Dataset& ds, const std::vector<std::size_t>& idx,
                         const InputSpec& spec, bool progress);

// Logits [N,7] of model-sized images, in batches of 256, network in eval mode.
at::Tensor batch_logits(const Net& net, const std::vector<cv::Mat>& images, const InputSpec& spec,
                        c10::Device device);

struct Finalized {
  PriorChoice prior;               // chosen on validation
  nlohmann::ordered_json metrics;  // {"validation": ..., "test": ...} (evaluation_json)
};

// Sets info.calibration.prior_adjustment (choose_prior_adjustment with `min_mel_recall`,
// searching from `lowest_adjustment`, the net's balanced operating point)
// and info.calibration.temperature (fit_temperature), both on `val`; then scores `val`
// and `test` (skipped when empty) at that calibration. `net` must be on the CPU.
Finalized calibrate_and_score(const Net& net, ModelInfo& info, const LabelledImages& val,
                              const LabelledImages& test, double min_mel_recall,
                              double lowest_adjustment = 0.0);

}  // namespace skinscan
