// `skinscan train`: trains a network on the train part of a split, picks the checkpoint
// with the best validation balanced accuracy, chooses the prior adjustment and fits the
// temperature on validation, scores the test part (if the split has one), and writes the
// model directory (weights.pt, model.json, history.json, training_curves.png/.svg).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "model/classifier.h"
#include "train/augment.h"
#include "train/split.h"

namespace skinscan {

struct TrainOptions {
  std::string arch = "resnet-s";
  std::string backbone;  // TorchScript file for arch "backbone"
  int input_width = 0;   // 0 = the architecture's default input size
  int input_height = 0;
  int epochs = 40;
  int batch_size = 64;
  double lr = 3e-3;                   // peak learning rate
  double weight_decay = 0.05;         // decoupled (AdamW); use ~5e-4 with sgd
  std::string optimizer = "adamw";    // adamw | sgd
  std::string schedule = "onecycle";  // onecycle (warm-up then cosine) | cosine
  double label_smoothing = 0.1;
  std::string balance = "logit-adjust";  // none | oversample | weighted | logit-adjust
  double logit_tau = 1.0;                // strength of the logit adjustment in the training loss
  double min_mel_recall = 0.70;          // constraint when choosing the prior adjustment on val
  bool augment = true;
  AugmentOptions augment_options;
  int threads = 0;  // torch intra-op threads; 0 = all cores
  std::uint64_t seed = 1;
  std::size_t limit = 0;  // use at most this many train images (0 = all; for tests)
  bool progress = true;
  std::string version;  // model version string; default: date + arch
};

nlohmann::ordered_json train_options_json(const TrainOptions& o);

// Returns the trained classifier (best checkpoint, calibrated) after writing out_dir.
Classifier train_model(const Dataset& ds, const Split& split, const TrainOptions& options,
                       const std::string& out_dir);

}  // namespace skinscan
