// One optimisation step of SkinScan's training recipe, and the state a run carries
// between steps (network, optional lesion-mask head, optimiser, EMA copy, random
// generator, step counter). `skinscan train` (trainer.cc) loops over epochs of these steps;
// build/train_bench times exactly this function, so its throughput is the trainer's.
//
//   batch indices -> augment (image and its lesion mask, same geometry) -> to_tensor
//   (THE preprocessing, incl. colour constancy) -> forward -> cross-entropy (+ logit
//   adjustment / class weights; two labels when mixup/cutmix mixed the batch) [mixed with the
//   distillation loss against a teacher's calibrated probabilities] [+ mask_weight * BCE(mask
//   head(stage map), mask)]
//   -> backward -> optimiser step at the schedule's learning rate -> EMA update
//
// With options.replicas = N > 1 the batch is cut into N contiguous shards; worker k runs
// the whole chain up to backward on shard k with its own copy of the network (copy 0 is
// `net` itself; the others are refreshed from it before every step) and its own random
// generators (augmentation and dropout), seeded by N draws from the run's generator. The shards'
// losses are weighted by their share of the batch, so the summed gradients are those of the batch
// mean. BatchNorm normalises over the whole batch (the copies exchange statistics, model/
// batch_norm.h), so the step is the single-copy step up to summation order; with
// options.ghost_batch_norm each copy normalises over its shard. BatchNorm's running statistics
// are copy 0's when synchronised (every copy computes the same), else the copies' mean.
// Deterministic for a given N, and resumable (the copies hold no state between steps).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <random>
#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "model/nets.h"
#include "train/finalize.h"
#include "train/replica_workers.h"
#include "train/train_options.h"
#include "train/weight_average.h"

namespace skinscan {

// Learning rate at `step` of `total`: linear warm-up (one-cycle), then cosine to ~0.
double lr_at(const TrainOptions& o, std::size_t step, std::size_t total);

// log((n_c + 1) / (n + K)) of per-class training counts: the class prior that logit
// adjustment trains with and model.json records (calibration.log_prior).
std::array<double, kNumClasses> log_class_prior(const std::vector<int>& class_counts);

// Parameters then buffers of a module, in registration order (what snapshots hold).
std::vector<torch::Tensor> state_tensors(const torch::nn::Module& m);
// Detached copies in the standard (NCHW-contiguous) layout, whatever the module's layout.
std::vector<torch::Tensor> snapshot(const torch::nn::Module& m);
// Throws skinscan::Error if `s` does not fit the module.
void restore(const torch::nn::Module& m, const std::vector<torch::Tensor>& s);

// Re-lays out every 4-D parameter and buffer of `m` in `format` (values unchanged): a
// kBf16 run trains channels-last and hands the network back contiguous.
void set_memory_format(torch::nn::Module& m, at::MemoryFormat format);

// Exponential moving average of a network's parameters and buffers (integer buffers,
// such as BatchNorm's batch counters, are copied). Warm-up: the decay starts low so the
// average is not dominated by the random initialisation.
struct Ema {
  double decay = 0;
  std::vector<torch::Tensor> shadow;  // empty until the first update
  void update(const torch::nn::Module& m, std::size_t step);
};

// Everything a run carries from one step to the next; a checkpoint saves all of it.
// `train` and `masks` (aligned with train.images; empty = no mask loss) must outlive it.
struct TrainingRun {
  // Builds the network (make_net), the mask head when options.mask_weight > 0, and the
  // optimiser; seeds the sampler's generator with options.seed. `log_prior` is the
  // training class prior (log frequencies), used by logit adjustment and class weights.
  TrainingRun(const TrainOptions& options, const InputSpec& spec, torch::Device dev,
              const LabelledImages& images, const std::vector<cv::Mat>& lesion_masks,
              const std::vector<int>& class_counts, std::size_t total_steps);

  const TrainOptions& o;
  const InputSpec& input;
  torch::Device device;
  const LabelledImages& train;
  const std::vector<cv::Mat>& masks;
  torch::Tensor log_prior;      // [1,7]
  torch::Tensor class_weights;  // [7]
  Net net;
  torch::nn::Conv2d mask_head{nullptr};
  std::unique_ptr<torch::optim::Optimizer> opt;
  Ema ema;
  // Distillation teacher (null = none; attached by the trainer): eval mode, same input as
  // the network, never trained; its calibration turns its outputs into the soft targets.
  Net teacher;
  Calibration teacher_calibration;
  std::mt19937 rng;
  // options.replicas > 1: copies 1..N-1 of the network (and of the mask head) and the N
  // worker threads; empty / null otherwise.
  std::vector<Net> replica_nets;
  std::vector<torch::nn::Conv2d> replica_heads;
  std::unique_ptr<ReplicaWorkers> workers;
  std::shared_ptr<BatchNormSync> batch_norm_sync;  // null: ghost batch norm or one copy
  std::size_t step = 0, total_steps = 0;
  // Best-so-far bookkeeping of the epoch loop (checkpointed with the rest).
  std::vector<torch::Tensor> best;
  double best_bacc = -1;
  int best_epoch = 0;
  // epoch rule average-last: the running mean of the last epochs' (shipped) weights.
  WeightAverage average;
};

// How many images of each class (of `labels`) one epoch draws: every image once, and with
// kOversample the rest up to the majority count M, with kSqrtOversample up to
// round(sqrt(n * M)) (never fewer than the class's n images).
std::vector<std::size_t> class_draws(Balance b, const std::vector<int>& labels);
// The epoch's sample order (draws from run.rng): each class's images once, then the repeats
// class_draws asks for, drawn uniformly with replacement, all shuffled; epoch_length is the
// size of that order.
std::vector<std::size_t> epoch_order(TrainingRun& run);
std::size_t epoch_length(const TrainOptions& o, const std::vector<int>& labels);

// A batch after mixing: images x, the labels of each image (a) and of its partner (b), and
// the share `lambda` of the loss that goes to label a. mixup: x = lambda * x + (1 - lambda)
// * x[partner]; cutmix: one random box of every image replaced by its partner's pixels,
// lambda = the exact share of the image left untouched. Partners are a random permutation.
// Draws nothing from `rng` when mode is kNone, so a run without mixing keeps its random
// stream; otherwise each batch is mixed with `probability`.
struct MixedBatch {
  torch::Tensor x, labels_a, labels_b;
  double lambda = 1.0;
};
MixedBatch mix_batch(const torch::Tensor& x, const torch::Tensor& labels, Mix mode, double alpha,
                     double probability, std::mt19937& rng);

// A training step's network input for the train images at `indices`, with draws from `rng`:
// augmented (options.augment; with_masks: each image's lesion mask with the same geometry),
// preprocessed (to_tensor), then mixed (options.mix). `masks` is empty unless with_masks.
struct StepInput {
  MixedBatch mixed;
  std::vector<cv::Mat> masks;
};
StepInput step_input(const TrainingRun& run, const std::vector<std::size_t>& indices,
                     bool with_masks, std::mt19937& rng);

// average-last's BatchNorm statistics for run.net's (averaged) weights: weight_average.h's
// recompute_batch_norm over one epoch as training draws it (epoch_order: oversampled when
// the run oversamples, shuffled) in batches of options.batch_size, each built by step_input
// (augmented and mixed as in training), all from run.rng. These are the batches the network
// learnt to be normalised by; the natural class mix, unaugmented, is not (it cost a fold-1
// run 0.18 validation accuracy, docs/benchmarks.md session 18).
void recompute_batch_norm_on_epoch(TrainingRun& run);

struct StepResult {
  double loss = 0;          // classification loss (mean over the batch)
  double mask_loss = 0;     // 0 without a mask head
  double distill_loss = 0;  // T^2 * KL(teacher || network), 0 without a teacher
  std::size_t correct = 0;
};

// One optimisation step on the train images at `indices` (the network in train mode).
StepResult train_step(TrainingRun& run, const std::vector<std::size_t>& indices);

}  // namespace skinscan
