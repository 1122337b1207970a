// The `average-last` epoch rule's two parts: the running mean of a network's weights at
// the end of its last K epochs (what ships instead of any one epoch's weights, so nothing
// is chosen on the noisy validation slice), and the BatchNorm statistics recomputed for
// those averaged weights (running statistics of the epochs' own batches belong to the
// epochs' weights, not to their mean: stochastic weight averaging's `bn_update`).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include <torch/nn/module.h>

namespace skinscan {

// Mean of snapshots (train_step.h's snapshot(): parameters then buffers). Floating
// tensors are averaged (in double, stored in their own type); integer tensors (BatchNorm's
// batch counters) keep the latest snapshot's value.
struct WeightAverage {
  std::vector<torch::Tensor> mean;  // empty until the first add
  int count = 0;
  // Throws skinscan::Error if `snapshot` does not match the earlier ones in count or shape.
  void add(const std::vector<torch::Tensor>& snapshot);
};

// Resets the running mean / variance of every BatchNorm layer of `m` (SkinScan's
// model/batch_norm.h, the only one its nets use), puts `m` in training mode and calls
// forward_batch(indices) without gradients once per batch: `order` cut into consecutive
// batches of `batch_size` items (the last may be smaller), with each layer's momentum set
// to 1 / (k + 1) at batch k so the running statistics end as the plain mean over the
// batches of the batch mean and unbiased batch variance; then restores the layers' momenta.
// The caller's order decides what that mean estimates: it should be the batches the
// network was trained on (train_step.h's recompute_batch_norm_on_epoch), and shuffled:
// batches of a class-sorted set (HAM10000's order) are each one class, and the mean of their
// variances misses the variance between them.
// Data-parallel synchronisation (BatchNormImpl::sync) is detached meanwhile: each batch is
// normalised on its own. Leaves `m` in training mode; the caller's forward must not update
// anything else (dropout's draws are harmless). Throws skinscan::Error if batch_size is 0.
void recompute_batch_norm(
    torch::nn::Module& m, const std::vector<std::size_t>& order, std::size_t batch_size,
    const std::function<void(const std::vector<std::size_t>& indices)>& forward_batch);

}  // namespace skinscan
