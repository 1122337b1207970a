// Classification metrics for evaluation and model selection. Plain C++ (no LibTorch).
//
// Conventions (as scikit-learn with zero_division=0): a class never predicted has precision
// 0; a class absent from the labels has recall 0 and is left out of balanced accuracy and
// of the macro averages; AUC of a class without positives or negatives is NaN and left out
// of the macro AUC. ECE uses 15 equal-width confidence bins over the top-class probability.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace skinscan {

using ProbRows = std::vector<std::vector<float>>;  // n rows of K probabilities

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int support = 0;
};

struct Interval {
  double lo = 0, hi = 0;
};

struct Metrics {
  int n = 0;
  double accuracy = 0, balanced_accuracy = 0, macro_f1 = 0, weighted_f1 = 0;
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<int>> confusion;  // [true][predicted]
  std::vector<double> auc_ovr;              // per class
  double auc_macro = 0;
  double ece = 0;
  Interval accuracy_ci, balanced_accuracy_ci;  // 95% bootstrap percentile intervals
};

double balanced_accuracy(const std::vector<int>& y, const std::vector<int>& pred, int k);
double auc_binary(const std::vector<double>& scores, const std::vector<int>& positive);
double expected_calibration_error(const std::vector<int>& y, const ProbRows& probs, int bins = 15);
std::vector<int> argmax_rows(const ProbRows& probs);

// `bootstrap` resamples (0 = no intervals), seeded for reproducibility.
Metrics compute_metrics(const std::vector<int>& y, const std::vector<int>& pred,
                        const ProbRows& probs, int bootstrap = 1000, std::uint64_t seed = 7);

// JSON with per-class entries keyed by class code (ClassId order).
nlohmann::ordered_json metrics_json(const Metrics& m);

}  // namespace skinscan
