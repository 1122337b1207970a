// SkinScan's BatchNorm layer: torch::nn::BatchNorm2d (same parameters, buffers, names and
// arithmetic) that can, in training mode, normalise over the images of several
// copies of the network running at once, one thread each (data-parallel training,
// train/train_step.h): synchronised batch normalisation, as PyTorch's SyncBatchNorm does
// across processes.
//
//   forward, each copy k:  local (n_k, mean_k, var_k) over its shard (N,H,W per channel)
//     -> all_gather -> the whole batch's mean and biased variance (parallel-variance merge,
//     in double, in copy order) -> y = (x - mean) / sqrt(var + eps) * w + b; the running
//     statistics move by `momentum` towards mean and the unbiased variance (as nn::BatchNorm2d)
//   backward: local sum(dy) and sum(dy * xhat) -> all_gather -> summed in copy order ->
//     dx = w / sqrt(var + eps) * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n) with the
//     WHOLE batch's sums and n; dw, db are the copy's own shares (the step sums them).
//
// So N copies on N shards compute what one BatchNorm computes on the whole batch, up to
// floating-point summation order. Without a sync (the default), or in eval mode, the layer
// is nn::BatchNorm2d exactly.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <vector>

#include <torch/torch.h>

namespace skinscan {

// Raised in the copies still waiting at an exchange when another copy has called abort().
struct ExchangeAborted : std::runtime_error {
  ExchangeAborted() : std::runtime_error("batch statistics exchange abandoned: a copy failed") {}
};

// The rendezvous of the copies' threads. Contract: begin_step(n) (no thread inside an
// exchange) names the copies 0..n-1 that take part in the next step; each of them then calls
// all_gather the same number of times in the same layer order (the copies are one network).
// all_gather(rank, t) blocks until every taking-part copy has handed in its tensor for this
// exchange and returns all of them in rank order (the same list in every copy). A copy that
// fails calls abort(): every waiting and later all_gather of this step throws ExchangeAborted
// instead of waiting for it forever. The tensor a copy hands in must stay unchanged until the
// copy's next exchange returns (all_gather keeps references, no copies).
class BatchNormSync {
 public:
  explicit BatchNormSync(std::size_t copies);
  std::size_t capacity() const { return capacity_; }

  void begin_step(std::size_t taking_part);
  std::vector<torch::Tensor> all_gather(std::size_t rank, const torch::Tensor& local);
  void abort();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t capacity_, taking_part_;
  std::size_t arrived_ = 0;
  unsigned long long generation_ = 0;
  bool aborted_ = false;
  // Two banks by generation parity: a copy that is already at exchange g + 1 writes the
  // other bank while slower copies still read exchange g's results.
  std::vector<torch::Tensor> bank_[2];
};

// nn::BatchNorm2d(features) with its defaults (affine, running statistics, momentum 0.1,
// eps 1e-5): the same parameters and buffers in the same order under the same names
// (weight, bias, running_mean, running_var, num_batches_tracked), so weights archives and
// snapshots are interchangeable, and the same torch::batch_norm call when not synchronised.
// (Not a subclass: LibTorch does not export the template members a subclass would need.)
struct BatchNormImpl : torch::nn::Cloneable<BatchNormImpl> {
  explicit BatchNormImpl(long features);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor forward(const torch::Tensor& x);

  long features;
  double momentum = 0.1, eps = 1e-5;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  // Null = plain nn::BatchNorm2d. Set by NetImpl::share_batch_norm.
  std::shared_ptr<BatchNormSync> sync;
  std::size_t rank = 0;
};
TORCH_MODULE(BatchNorm);

}  // namespace skinscan
