#include "train/weight_average.h"

#include <algorithm>
#include <string>

#include <torch/torch.h>

#include "data/error.h"
#include "model/batch_norm.h"

namespace skinscan {

void WeightAverage::add(const std::vector<torch::Tensor>& snapshot) {
  if (count > 0 && snapshot.size() != mean.size()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "weight average: " + std::to_string(snapshot.size()) +
                              " tensors, the earlier snapshots had " + std::to_string(mean.size()));
  }
  torch::NoGradGuard guard;
  if (count == 0) {
    mean.clear();
    for (const torch::Tensor& t : snapshot) mean.push_back(t.detach().clone());
    count = 1;
    return;
  }
  const double w = 1.0 / static_cast<double>(count + 1);
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    const torch::Tensor& s = snapshot[i];
    if (!s.sizes().equals(mean[i].sizes())) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "weight average: tensor " + std::to_string(i) + " changed shape");
    }
    if (!s.is_floating_point()) {
      mean[i].copy_(s);
      continue;
    }
    // mean += (s - mean) / (count + 1), in double so K float32 additions do not drift.
    const torch::Tensor m = mean[i].to(torch::kDouble);
    mean[i].copy_(m + (s.to(torch::kDouble) - m) * w);
  }
  ++count;
}

void recompute_batch_norm(
    torch::nn::Module& m, const std::vector<std::size_t>& order, std::size_t batch_size,
    const std::function<void(const std::vector<std::size_t>& indices)>& forward_batch) {
  if (batch_size == 0) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "batch norm recompute: batch size 0");
  }
  const std::size_t items = order.size();
  torch::NoGradGuard guard;
  struct Saved {
    BatchNormImpl* layer;
    double momentum;
    std::shared_ptr<BatchNormSync> sync;  // a data-parallel copy's link, detached meanwhile
  };
  std::vector<Saved> saved;
  for (const auto& child : m.modules(/*include_self=*/true)) {
    auto* b = child->as<BatchNormImpl>();
    if (!b) continue;
    saved.push_back({b, b->momentum, std::move(b->sync)});
    b->sync = nullptr;
    b->running_mean.zero_();
    b->running_var.fill_(1);
    b->num_batches_tracked.zero_();
  }
  m.train();
  for (std::size_t start = 0, k = 0; start < items; start += batch_size, ++k) {
    for (Saved& s : saved) s.layer->momentum = 1.0 / static_cast<double>(k + 1);
    forward_batch(std::vector<std::size_t>(
        order.begin() + static_cast<long>(start),
        order.begin() + static_cast<long>(std::min(items, start + batch_size))));
  }
  for (Saved& s : saved) {
    s.layer->momentum = s.momentum;
    s.layer->sync = std::move(s.sync);
  }
}

}  // namespace skinscan
