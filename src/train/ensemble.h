// `skinscan ensemble`: combines trained model directories into one model whose
// probabilities are the mean of the members' calibrated probabilities (make_ensemble),
// then makes the same validation-only choices as `skinscan train` (prior adjustment,
// temperature on top of the mean) and scores validation and test.
//
// Contract: every member must have been trained on `split` of `ds` (its model.json's
// dataset and split fingerprints match), take the same input size and normalisation, and be
// a plain network (not a backbone or another ensemble); otherwise skinscan::Error
// (invalid_argument) names the offending member and nothing is written. The output directory holds
// weights.pt (all members' tensors), model.json (with each member's version, training options and
// scores under "training"/"members"), and members/<k>-<arch>/ with each member's
// history.json and training curves.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"
#include "model/classifier.h"
#include "train/split.h"

namespace skinscan {

struct EnsembleOptions {
  std::vector<std::string> members;  // model directories, at least two
  double min_mel_recall = 0.70;      // as TrainOptions::min_mel_recall
  std::string version;               // default: date + "-ensemble"
  bool progress = true;
};

Classifier build_ensemble(const Dataset& ds, const Split& split, const EnsembleOptions& options,
                          const std::string& out_dir);

}  // namespace skinscan
