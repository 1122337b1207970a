// `skinscan train`: trains a network on the train part of a split, keeps the weights the
// epoch rule names (best validation balanced accuracy, the last epoch, or the mean of the
// last epochs with BatchNorm statistics recomputed), chooses the prior adjustment and fits the
// temperature on validation, scores the test part (if the split has one), and writes the
// model directory (weights.pt, model.json, history.json, training_curves.png/.svg).
//
// The loop is plain: for each epoch, train_epoch() (sampler order, augmentation, forward,
// loss, step, EMA), then evaluate() on validation, then a checkpoint. Options are typed
// (parsed once at the CLI); what a run did is recorded as a typed TrainingRecord.
//
// Checkpoints: after every epoch the whole training state (network, EMA copy, optimiser,
// mask head, best snapshot, random generators, history) is written to
// OUT/checkpoint/ (atomically: a temporary directory, then rename). With
// `resume`, train_model continues from that state and produces exactly what the
// uninterrupted run would have; the options must be those of the interrupted run. The
// checkpoint directory is removed once the model directory is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "model/classifier.h"
#include "train/calibrate.h"
#include "train/finalize.h"
#include "train/split.h"
#include "train/train_options.h"

namespace skinscan {

// One epoch's figures (history.json rows, training_curves.png).
struct EpochRecord {
  int epoch = 0;
  double lr = 0;
  double train_loss = 0, train_accuracy = 0, mask_loss = 0;
  double val_loss = 0, val_accuracy = 0, val_balanced_accuracy = 0;
  double seconds = 0, images_per_second = 0;
};

// What a training run did: model.json "training" and "data" sections are written from it.
struct TrainingRecord {
  TrainOptions options;
  int best_epoch = 0;
  double wall_seconds = 0;
  std::string device;
  int torch_threads = 0;
  int resumed_at_epoch = 0;  // 0 = not resumed
  PriorChoice prior;         // chosen on validation
  std::vector<EpochRecord> history;
  // Epoch rule average-last: which epochs were averaged and the averaged weights' raw
  // (uncalibrated) validation scores, comparable with history's rows. 0 epochs = not used.
  // last_epoch_network: the last epoch's network (what epoch rule `last` ships from the same
  // trajectory) after its own validation-only choices, metrics {"validation"} only (test is
  // not scored for it); model.json writes it as "last_epoch_choices":
  // {"prior_choice_on_validation", "validation"}, as model.json's own.
  struct Averaged {
    int first_epoch = 0, last_epoch = 0;
    double val_loss = 0, val_accuracy = 0, val_balanced_accuracy = 0;
    Finalized last_epoch_network;
  } averaged;
  // Data provenance.
  std::string dataset_fingerprint, split_fingerprint, split_source;
  std::size_t train_images = 0, val_images = 0, test_images = 0;
  std::vector<int> train_class_counts;
};

nlohmann::ordered_json training_json(const TrainingRecord& r);  // model.json "training"
nlohmann::ordered_json data_json(const TrainingRecord& r);      // model.json "data"
nlohmann::ordered_json history_json(const std::vector<EpochRecord>& history);

// Returns the trained classifier (best checkpoint, calibrated) after writing out_dir.
// With options.stop_after, stops after that epoch (checkpoint written, no model) and
// returns std::nullopt.
std::optional<Classifier> train_model(const Dataset& ds, const Split& split,
                                      const TrainOptions& options, const std::string& out_dir);

}  // namespace skinscan
