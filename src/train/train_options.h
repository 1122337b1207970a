// The typed options of `skinscan train` (parsed once, at the CLI) and their JSON form,
// which model.json records under "training" and checkpoints compare on --resume.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/preprocess.h"
#include "train/augment.h"

namespace skinscan {

// How the class imbalance is met. kOversample repeats every class's images up to the
// majority count (the net is trained for a uniform prior); kSqrtOversample repeats each class
// up to sqrt(count * majority count) (a prior proportional to the square root of the class
// counts: the majority class is seen 2-7x more often than under kOversample, the rarest
// images repeated far less); kWeighted weights the loss; kLogitAdjust adds tau * log prior to
// the training logits.
enum class Balance { kNone, kOversample, kWeighted, kLogitAdjust, kSqrtOversample };
enum class Optimizer { kAdamW, kSgd };
enum class Schedule { kOneCycle, kCosine };
// Arithmetic of the training steps. kBf16: forward in bfloat16 under LibTorch's CPU autocast
// (convolutions and the linear head; weights, optimiser state and the loss stay float32)
// with channels-last activations and weights, which oneDNN runs on AVX-512-BF16 / AMX
// units. Evaluation, calibration and the saved model are float32 either way.
enum class Precision { kFp32, kBf16 };
// Which epoch's weights the run keeps: the one with the highest raw validation balanced
// accuracy, or the last one (no choice on validation at all).
enum class EpochRule { kBestBalanced, kLast, kAverageLast };
// Batch mixing (mix_batch in train/train_step.h): none, mixup (the whole images blended)
// or cutmix (a box pasted from the partner image); the loss mixes the two labels likewise.
enum class Mix { kNone, kMixup, kCutmix };

const char* balance_name(Balance b);  // "none", "oversample", "weighted", "logit-adjust",
                                      // "sqrt-oversample"
// The prior adjustment (calibrate.h) at which a net trained with `b` is at its balanced
// operating point: -1 for kNone (trained on the class prior itself: post-hoc logit
// adjustment takes all of it off, Menon et al. 2021), -0.5 for kSqrtOversample (its training
// prior is the square root of the class prior), 0 otherwise (oversampled, weighted or
// logit-adjusted training is already balanced). choose_prior_adjustment searches from there.
double balanced_prior_adjustment(Balance b);
// The Balance balance_name(b) names (model.json's "training.balance"); nullopt for any other
// string.
std::optional<Balance> balance_from_name(std::string_view name);
// Every Balance, for the CLI's choices and balance_from_name.
inline constexpr std::array<Balance, 5> kBalances = {Balance::kNone, Balance::kOversample,
                                                     Balance::kSqrtOversample, Balance::kWeighted,
                                                     Balance::kLogitAdjust};
const char* optimizer_name(Optimizer o);   // "adamw", "sgd"
const char* schedule_name(Schedule s);     // "onecycle", "cosine"
const char* precision_name(Precision p);   // "fp32", "bf16"
const char* epoch_rule_name(EpochRule r);  // "best-balanced", "last", "average-last"
const char* mix_name(Mix m);               // "none", "mixup", "cutmix"
// Every value of each option, for the CLI's choices (named by the *_name functions above).
inline constexpr std::array<Optimizer, 2> kOptimizers = {Optimizer::kAdamW, Optimizer::kSgd};
inline constexpr std::array<Schedule, 2> kSchedules = {Schedule::kOneCycle, Schedule::kCosine};
inline constexpr std::array<Precision, 2> kPrecisions = {Precision::kFp32, Precision::kBf16};
inline constexpr std::array<EpochRule, 3> kEpochRules = {EpochRule::kBestBalanced, EpochRule::kLast,
                                                         EpochRule::kAverageLast};
inline constexpr std::array<Mix, 3> kMixes = {Mix::kNone, Mix::kMixup, Mix::kCutmix};

struct TrainOptions {
  std::string arch = "resnet-s";
  std::string backbone;  // TorchScript file for arch "backbone"
  int input_width = 0;   // 0 = the architecture's default input size
  int input_height = 0;
  ColourConstancy colour = ColourConstancy::kNone;  // part of THE preprocessing (model.json)
  FieldOfView field_of_view = FieldOfView::kAsIs;   // likewise
  int epochs = 40;
  int batch_size = 64;
  double lr = 3e-3;            // peak learning rate
  double weight_decay = 0.05;  // decoupled (AdamW); use ~5e-4 with sgd
  Optimizer optimizer = Optimizer::kAdamW;
  Schedule schedule = Schedule::kOneCycle;  // warm-up then cosine | cosine
  Precision precision = Precision::kFp32;
  // Weights and activations laid out channels-last (oneDNN's native training layout) in
  // float32 too (kBf16 always is): the same arithmetic in another reduction order, so
  // results differ from the standard layout's by rounding only. The saved model is standard.
  bool channels_last = false;
  // Which weights ship: the epoch with the best raw validation balanced accuracy, the last
  // epoch's, or (kAverageLast) the mean of the last `average_epochs` epochs' weights with
  // BatchNorm statistics recomputed on the train images (train/weight_average.h).
  EpochRule epoch_rule = EpochRule::kBestBalanced;
  int average_epochs = 5;  // kAverageLast only; 1..epochs
  double label_smoothing = 0.1;
  Balance balance = Balance::kLogitAdjust;
  double logit_tau = 1.0;        // strength of the logit adjustment in the training loss
  double min_mel_recall = 0.70;  // constraint when choosing the prior adjustment on val
  bool augment = true;
  AugmentOptions augment_options;
  double ema_decay = 0.0;        // exponential moving average of the weights (0 = off); the
                                 // EMA copy is what validation scores and what ships
  double mask_weight = 0.0;      // auxiliary lesion-mask loss weight (0 = off; needs masks/)
  Mix mix = Mix::kNone;          // batch mixing (not combined with mask_weight > 0)
  double mix_alpha = 1.0;        // the mixing share is Beta(alpha, alpha)
  double mix_probability = 0.5;  // share of batches that are mixed
  // Knowledge distillation (off while `teacher` is empty). `teacher` is a model directory
  // (one net or an ensemble) trained on the SAME dataset and split, with the same input, so
  // the validation rows stay unseen. The classification loss becomes
  //   (1 - w) * recipe loss + w * T^2 * KL(softmax(log p_teacher / T) || softmax(logits / T))
  // where p_teacher is the teacher's calibrated probabilities of the same augmented batch.
  std::string teacher;
  double distill_weight = 0.5;       // w in [0, 1]
  double distill_temperature = 1.0;  // T > 0
  int threads = 0;                   // torch intra-op threads; 0 = all cores
  // Data-parallel replicas of one step (1 = off): the batch is cut into `replicas` shards,
  // each trained on its own copy of the network by its own worker thread with ONE intra-op
  // thread (train/replica_workers.h); the shards' gradients are summed into the network the
  // optimiser steps. BatchNorm normalises over the whole batch: the copies exchange their
  // statistics at every layer (model/batch_norm.h), so the step computes what replicas 1
  // computes, up to summation order and the augmentation's random stream. Validation uses
  // `threads`.
  int replicas = 1;
  // replicas > 1 only: each copy normalises over its own batch_size / replicas images
  // ("ghost" batches, the data-parallel step before synchronised BatchNorm) and the running
  // statistics are the copies' mean: another recipe, kept to reproduce earlier runs.
  bool ghost_batch_norm = false;
  std::uint64_t seed = 1;
  std::size_t limit = 0;  // use at most this many train images (0 = all; for tests)
  bool progress = true;
  std::string version;  // model version string; default: date + arch
  bool resume = false;  // continue from OUT/checkpoint (same options)
  int stop_after = 0;   // stop (checkpointed, no model written) after this epoch; 0 = never
};

nlohmann::ordered_json train_options_json(const TrainOptions& o);

// Does a run with these options train channels-last? (bf16, or channels_last asked for.)
inline bool trains_channels_last(const TrainOptions& o) {
  return o.precision == Precision::kBf16 || o.channels_last;
}

}  // namespace skinscan
