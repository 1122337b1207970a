// Post-training choices made on the VALIDATION split only (never the test split):
//   fit_temperature         temperature T minimising the negative log-likelihood
//   choose_prior_adjustment how much of the training class prior to add back to the logits
// Torch-free header: logits [N,7] are tensors declared in model/torch_fwd.h.
#pragma once

#include <vector>

#include "model/model_info.h"
#include "model/torch_fwd.h"

namespace skinscan {

// Mean NLL of softmax((logits + a*log_prior)/T) at the labels.
double nll(const at::Tensor& logits, const std::vector<int>& labels, const Calibration& c);

// Golden-section search of log T in [log 0.05, log 20]; returns T.
double fit_temperature(const at::Tensor& logits, const std::vector<int>& labels, Calibration c);

struct PriorChoice {
  double adjustment = 0;
  double accuracy = 0, balanced_accuracy = 0, melanoma_recall = 0;
};

// Tries a in {lowest, lowest + 0.05, ..., lowest + 1}; keeps the a with the highest accuracy
// + balanced accuracy among those whose melanoma recall is at least `min_mel_recall`. If none
// reaches it, a = lowest: the caller passes the balanced operating point the network was
// trained for (train_options.h's balanced_prior_adjustment: 0 after oversampled or
// logit-adjusted batches, -0.5 after square-root oversampling, -1 after natural sampling). (The
// earlier fallback, the highest melanoma recall, is flat in a on a small validation slice and
// landed on a > 0, which trades minority recall for accuracy.)
PriorChoice choose_prior_adjustment(const at::Tensor& logits, const std::vector<int>& labels,
                                    const Calibration& base, double min_mel_recall = 0.70,
                                    double lowest = 0.0);

// The choice as model.json records it ("prior_choice_on_validation"): adjustment, accuracy,
// balanced_accuracy, melanoma_recall.
nlohmann::ordered_json prior_choice_json(const PriorChoice& p);

}  // namespace skinscan
