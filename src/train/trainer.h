// `skinscan train`: trains a network on the train part of a split, picks the checkpoint
// with the best validation balanced accuracy, chooses the prior adjustment and fits the
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
#include "train/augment.h"
#include "train/calibrate.h"
#include "train/split.h"

namespace skinscan {

enum class Balance { kNone, kOversample, kWeighted, kLogitAdjust };
enum class Optimizer { kAdamW, kSgd };
enum class Schedule { kOneCycle, kCosine };

const char* balance_name(Balance b);      // "none", "oversample", "weighted", "logit-adjust"
const char* optimizer_name(Optimizer o);  // "adamw", "sgd"
const char* schedule_name(Schedule s);    // "onecycle", "cosine"

struct TrainOptions {
  std::string arch = "resnet-s";
  std::string backbone;  // TorchScript file for arch "backbone"
  int input_width = 0;   // 0 = the architecture's default input size
  int input_height = 0;
  ColourConstancy colour = ColourConstancy::kNone;  // part of THE preprocessing (model.json)
  int epochs = 40;
  int batch_size = 64;
  double lr = 3e-3;            // peak learning rate
  double weight_decay = 0.05;  // decoupled (AdamW); use ~5e-4 with sgd
  Optimizer optimizer = Optimizer::kAdamW;
  Schedule schedule = Schedule::kOneCycle;  // warm-up then cosine | cosine
  double label_smoothing = 0.1;
  Balance balance = Balance::kLogitAdjust;
  double logit_tau = 1.0;        // strength of the logit adjustment in the training loss
  double min_mel_recall = 0.70;  // constraint when choosing the prior adjustment on val
  bool augment = true;
  AugmentOptions augment_options;
  double ema_decay = 0.0;    // exponential moving average of the weights (0 = off); the
                             // EMA copy is what validation scores and what ships
  double mask_weight = 0.0;  // auxiliary lesion-mask loss weight (0 = off; needs masks/)
  int threads = 0;           // torch intra-op threads; 0 = all cores
  std::uint64_t seed = 1;
  std::size_t limit = 0;  // use at most this many train images (0 = all; for tests)
  bool progress = true;
  std::string version;  // model version string; default: date + arch
  bool resume = false;  // continue from OUT/checkpoint (same options)
  int stop_after = 0;   // stop (checkpointed, no model written) after this epoch; 0 = never
};

nlohmann::ordered_json train_options_json(const TrainOptions& o);

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
