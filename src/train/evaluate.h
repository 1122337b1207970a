// Evaluation of a Classifier on labelled images: calibrated probabilities through the one
// serving path (Classifier::probabilities), metrics, and ECE before/after calibration.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "model/classifier_torch.h"
#include "train/acquisition_shift.h"
#include "train/metrics.h"

namespace skinscan {

struct Evaluation {
  Metrics metrics;              // on calibrated probabilities (argmax decides the class)
  double ece_uncalibrated = 0;  // temperature 1 (prior adjustment kept)
  torch::Tensor logits;         // [N,7]
};

// `images` are any-size RGB; batched, `tta` flip views averaged.
Evaluation evaluate(const Classifier& model, const std::vector<cv::Mat>& images,
                    const std::vector<int>& labels, int tta = 1, int bootstrap = 1000,
                    bool progress = true);

// Same, from logits already computed for these labels.
Evaluation evaluate_logits(const torch::Tensor& logits, const Calibration& calibration,
                           const std::vector<int>& labels, int bootstrap = 1000);

nlohmann::ordered_json evaluation_json(const Evaluation& e);

// The same labelled images under each acquisition shift (train/acquisition_shift.h): image i
// goes through apply_acquisition_shift(images[i], shift, i) and then the model as evaluate()
// takes it (one view). One Evaluation per shift, in the order given.
struct ShiftedEvaluation {
  AcquisitionShift shift;
  Evaluation evaluation;
};
std::vector<ShiftedEvaluation> evaluate_shifted(const Classifier& model,
                                                const std::vector<cv::Mat>& images,
                                                const std::vector<int>& labels,
                                                const std::vector<AcquisitionShift>& shifts,
                                                int bootstrap = 1000, bool progress = true);

ProbRows to_rows(const torch::Tensor& probs);

// Writes confusion_matrix.png/.svg (gnuplot) and per_class.md (a Markdown table) to dir.
void write_evaluation_files(const Evaluation& e, const std::string& dir);

}  // namespace skinscan
