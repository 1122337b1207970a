#include "train/train_step.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <opencv2/imgproc.hpp>

#include "data/error.h"
#include "model/batch_norm.h"
#include "model/classifier_torch.h"
#include "model/explain.h"

namespace skinscan {

namespace {

constexpr double kWarmupFraction = 0.05;  // of all steps, linear warm-up

void set_lr(TrainingRun& run, double lr) {
  for (auto& g : run.opt->param_groups()) {
    if (run.o.optimizer == Optimizer::kAdamW)
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    else
      static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
  }
}

// Mask targets at the explained stage's resolution: the share of lesion pixels in each cell.
torch::Tensor mask_targets(const std::vector<cv::Mat>& masks, int w, int h) {
  torch::Tensor t = torch::empty({static_cast<long>(masks.size()), 1, h, w}, torch::kFloat32);
  float* out = t.data_ptr<float>();
  for (std::size_t i = 0; i < masks.size(); ++i) {
    cv::Mat small;
    cv::resize(masks[i], small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) out[(i * h + y) * w + x] = small.at<std::uint8_t>(y, x) / 255.0f;
  }
  return t;
}

// LibTorch's CPU autocast to bfloat16 for one forward pass (nesting-aware, restores the
// previous state, drops the cast-weight cache on leaving the outermost region).
class CpuAutocast {
 public:
  explicit CpuAutocast(bool on) : on_(on) {
    if (!on_) return;
    was_enabled_ = at::autocast::is_cpu_enabled();
    was_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~CpuAutocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(was_dtype_);
  }
  CpuAutocast(const CpuAutocast&) = delete;
  CpuAutocast& operator=(const CpuAutocast&) = delete;

 private:
  bool on_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

}  // namespace

double lr_at(const TrainOptions& o, std::size_t step, std::size_t total) {
  const double t = static_cast<double>(step) / static_cast<double>(std::max<std::size_t>(total, 1));
  const double warm = o.schedule == Schedule::kOneCycle ? kWarmupFraction : 0.0;
  if (t < warm) return o.lr * (0.04 + 0.96 * t / warm);
  const double p = (t - warm) / (1.0 - warm);
  return o.lr * (0.002 + 0.998 * 0.5 * (1.0 + std::cos(M_PI * p)));
}

std::array<double, kNumClasses> log_class_prior(const std::vector<int>& class_counts) {
  double n = 0;
  for (int c : class_counts) n += c;
  std::array<double, kNumClasses> lp{};
  for (std::size_t c = 0; c < kNumClasses; ++c)
    lp[c] = std::log((class_counts[c] + 1.0) / (n + kNumClasses));
  return lp;
}

std::vector<torch::Tensor> state_tensors(const torch::nn::Module& m) {
  std::vector<torch::Tensor> s = m.parameters();
  for (const auto& b : m.buffers()) s.push_back(b);
  return s;
}

std::vector<torch::Tensor> snapshot(const torch::nn::Module& m) {
  std::vector<torch::Tensor> s;
  for (const auto& t : state_tensors(m))
    s.push_back(t.detach().clone(at::MemoryFormat::Contiguous));
  return s;
}

void set_memory_format(torch::nn::Module& m, at::MemoryFormat format) {
  torch::NoGradGuard guard;
  for (auto& t : state_tensors(m))
    if (t.dim() == 4) t.set_data(t.contiguous(format));
}

void restore(const torch::nn::Module& m, const std::vector<torch::Tensor>& s) {
  torch::NoGradGuard guard;
  const std::vector<torch::Tensor> dst = state_tensors(m);
  if (dst.size() != s.size())
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "checkpoint does not fit the network");
  for (std::size_t k = 0; k < s.size(); ++k) dst[k].copy_(s[k]);
}

void Ema::update(const torch::nn::Module& m, std::size_t step) {
  torch::NoGradGuard guard;
  const std::vector<torch::Tensor> live = state_tensors(m);
  if (shadow.empty()) {
    for (const auto& t : live) shadow.push_back(t.detach().clone());
    return;
  }
  const double d = std::min(decay, (1.0 + step) / (10.0 + step));
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (shadow[k].is_floating_point())
      shadow[k].mul_(d).add_(live[k].detach(), 1.0 - d);
    else
      shadow[k].copy_(live[k]);
  }
}

std::vector<std::size_t> class_draws(Balance b, const std::vector<int>& labels) {
  std::vector<std::size_t> count(kNumClasses, 0);
  for (int y : labels) ++count[static_cast<std::size_t>(y)];
  const std::size_t major = *std::max_element(count.begin(), count.end());
  std::vector<std::size_t> draws = count;
  for (std::size_t& n : draws) {
    if (n == 0) continue;
    if (b == Balance::kOversample) n = major;
    if (b == Balance::kSqrtOversample)
      n = std::max(n, static_cast<std::size_t>(std::llround(
                          std::sqrt(static_cast<double>(n) * static_cast<double>(major)))));
  }
  return draws;
}

std::vector<std::size_t> epoch_order(TrainingRun& run) {
  const std::vector<int>& labels = run.train.labels;
  std::vector<std::size_t> order;
  if (run.o.balance == Balance::kOversample || run.o.balance == Balance::kSqrtOversample) {
    const std::vector<std::size_t> draws = class_draws(run.o.balance, labels);
    std::vector<std::vector<std::size_t>> by(kNumClasses);
    for (std::size_t i = 0; i < labels.size(); ++i)
      by[static_cast<std::size_t>(labels[i])].push_back(i);
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      const std::vector<std::size_t>& v = by[c];
      if (v.empty()) continue;
      order.insert(order.end(), v.begin(), v.end());
      std::uniform_int_distribution<std::size_t> pick(0, v.size() - 1);
      for (std::size_t k = v.size(); k < draws[c]; ++k) order.push_back(v[pick(run.rng)]);
    }
  } else {
    for (std::size_t i = 0; i < labels.size(); ++i) order.push_back(i);
  }
  std::shuffle(order.begin(), order.end(), run.rng);
  return order;
}

std::size_t epoch_length(const TrainOptions& o, const std::vector<int>& labels) {
  const std::vector<std::size_t> draws = class_draws(o.balance, labels);
  return std::accumulate(draws.begin(), draws.end(), std::size_t{0});
}

TrainingRun::TrainingRun(const TrainOptions& options, const InputSpec& spec, torch::Device dev,
                         const LabelledImages& images, const std::vector<cv::Mat>& lesion_masks,
                         const std::vector<int>& class_counts, std::size_t steps)
    : o(options), input(spec), device(dev), train(images), masks(lesion_masks), total_steps(steps) {
  const std::array<double, kNumClasses> prior = log_class_prior(class_counts);
  std::vector<float> lp(prior.begin(), prior.end()), weights(kNumClasses, 1.0f);
  const double n = static_cast<double>(images.labels.size());
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    if (o.balance == Balance::kWeighted)
      weights[c] = class_counts[c] ? static_cast<float>(n / (kNumClasses * class_counts[c])) : 0.0f;
  }
  log_prior = torch::tensor(lp).to(device).unsqueeze(0);
  class_weights = torch::tensor(weights).to(device);
  net = make_net(o.arch, input, o.backbone);
  net->to(device);
  if (trains_channels_last(o)) set_memory_format(*net, at::MemoryFormat::ChannelsLast);
  std::vector<torch::Tensor> params = net->parameters();
  if (o.mask_weight > 0) {
    torch::NoGradGuard guard;
    const torch::Tensor probe =
        torch::zeros({1, 3, input.height, input.width}, torch::TensorOptions(device));
    const long channels = forward_for_explanation(*net, probe).first.size(1);
    mask_head = torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 1, 1));
    mask_head->to(device);
    if (trains_channels_last(o)) set_memory_format(*mask_head, at::MemoryFormat::ChannelsLast);
    for (const auto& p : mask_head->parameters()) params.push_back(p);
  }
  if (o.optimizer == Optimizer::kAdamW) {
    opt = std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  } else {
    opt = std::make_unique<torch::optim::SGD>(
        params,
        torch::optim::SGDOptions(o.lr).momentum(0.9).nesterov(true).weight_decay(o.weight_decay));
  }
  ema.decay = o.ema_decay;
  rng.seed(static_cast<std::uint32_t>(o.seed));
  if (o.replicas > 1) {
    net->dropout_generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    for (int k = 1; k < o.replicas; ++k) {
      Net copy = make_net(o.arch, input, o.backbone);
      copy->to(device);
      if (trains_channels_last(o)) set_memory_format(*copy, at::MemoryFormat::ChannelsLast);
      copy->dropout_generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
      replica_nets.push_back(copy);
      if (mask_head) {
        torch::nn::Conv2d head(
            std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(mask_head->clone(device)));
        if (trains_channels_last(o)) set_memory_format(*head, at::MemoryFormat::ChannelsLast);
        replica_heads.push_back(head);
      }
    }
    workers = std::make_unique<ReplicaWorkers>(static_cast<std::size_t>(o.replicas));
    if (!o.ghost_batch_norm) {
      batch_norm_sync = std::make_shared<BatchNormSync>(static_cast<std::size_t>(o.replicas));
      net->share_batch_norm(batch_norm_sync, 0);
      for (std::size_t k = 0; k < replica_nets.size(); ++k)
        replica_nets[k]->share_batch_norm(batch_norm_sync, k + 1);
    }
  }
}

MixedBatch mix_batch(const torch::Tensor& x, const torch::Tensor& labels, Mix mode, double alpha,
                     double probability, std::mt19937& rng) {
  MixedBatch m{x, labels, labels, 1.0};
  if (mode == Mix::kNone) return m;
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  if (u01(rng) >= probability) return m;
  std::gamma_distribution<double> g(alpha, 1.0);
  const double ga = g(rng), gb = g(rng);
  const double lambda = ga + gb > 0 ? ga / (ga + gb) : 1.0;  // Beta(alpha, alpha)
  std::vector<long> partner(static_cast<std::size_t>(x.size(0)));
  std::iota(partner.begin(), partner.end(), 0L);
  std::shuffle(partner.begin(), partner.end(), rng);
  const torch::Tensor p = torch::tensor(partner).to(x.device());
  const torch::Tensor other = x.index_select(0, p);
  m.labels_b = labels.index_select(0, p);
  if (mode == Mix::kMixup) {
    m.x = x * lambda + other * (1.0 - lambda);
    m.lambda = lambda;
    return m;
  }
  // cutmix: a box of (1 - lambda) of the area at a uniform centre, clipped to the image.
  const long h = x.size(2), w = x.size(3);
  const double side = std::sqrt(1.0 - lambda);
  const auto bh = static_cast<long>(std::lround(side * static_cast<double>(h)));
  const auto bw = static_cast<long>(std::lround(side * static_cast<double>(w)));
  const auto cy = static_cast<long>(u01(rng) * static_cast<double>(h));
  const auto cx = static_cast<long>(u01(rng) * static_cast<double>(w));
  const long y0 = std::clamp(cy - bh / 2, 0L, h), y1 = std::clamp(cy + (bh - bh / 2), 0L, h);
  const long x0 = std::clamp(cx - bw / 2, 0L, w), x1 = std::clamp(cx + (bw - bw / 2), 0L, w);
  m.x = x.clone();
  using torch::indexing::Slice;
  m.x.index_put_({Slice(), Slice(), Slice(y0, y1), Slice(x0, x1)},
                 other.index({Slice(), Slice(), Slice(y0, y1), Slice(x0, x1)}));
  m.lambda = 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / static_cast<double>(h * w);
  return m;
}

StepInput step_input(const TrainingRun& run, const std::vector<std::size_t>& indices,
                     bool with_masks, std::mt19937& rng) {
  const TrainOptions& o = run.o;
  static const std::vector<cv::Mat> kNoMasks;
  AugmentedBatch batch = augment_batch(run.train.images, with_masks ? run.masks : kNoMasks, indices,
                                       o.augment ? &o.augment_options : nullptr, rng);
  std::vector<long> ys;
  for (const std::size_t i : indices) ys.push_back(run.train.labels[i]);
  StepInput in;
  in.mixed =
      mix_batch(to_tensor(batch.images, run.input).to(run.device), torch::tensor(ys).to(run.device),
                o.mix, o.mix_alpha, o.mix_probability, rng);
  if (with_masks) in.masks = std::move(batch.masks);
  return in;
}

void recompute_batch_norm_on_epoch(TrainingRun& run) {
  const std::vector<std::size_t> order = epoch_order(run);
  recompute_batch_norm(*run.net, order, static_cast<std::size_t>(run.o.batch_size),
                       [&](const std::vector<std::size_t>& indices) {
                         run.net->forward(step_input(run, indices, false, run.rng).mixed.x);
                       });
}

namespace {

// Augment -> preprocess -> mix -> forward -> loss -> backward of the images at `indices` on
// `net` (and `head`, the mask head or null), drawing from `rng`; the total loss is scaled
// by `scale` before backward (its share of the batch), the returned figures are not.
StepResult shard_step(const TrainingRun& run, Net& net, torch::nn::Conv2d& head,
                      const std::vector<std::size_t>& indices, std::mt19937& rng, double scale) {
  const TrainOptions& o = run.o;
  const bool bf16 = o.precision == Precision::kBf16;
  const bool with_masks = head && !run.masks.empty();
  const StepInput in = step_input(run, indices, with_masks, rng);
  const MixedBatch& mixed = in.mixed;
  const std::vector<cv::Mat>& masks = in.masks;
  torch::Tensor x = mixed.x;
  if (trains_channels_last(o)) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor& y = mixed.labels_a;
  torch::Tensor logits, mask_loss, teacher_p;
  {
    CpuAutocast autocast(bf16);  // the loss below is float32 either way
    if (run.teacher) {
      torch::NoGradGuard no_grad;
      teacher_p = calibrate(run.teacher->forward(x).to(torch::kFloat32), run.teacher_calibration);
    }
    if (with_masks) {
      auto [map, l] = forward_for_explanation(*net, x);
      logits = l.to(torch::kFloat32);
      const torch::Tensor target =
          mask_targets(masks, static_cast<int>(map.size(3)), static_cast<int>(map.size(2)))
              .to(run.device);
      mask_loss = torch::binary_cross_entropy_with_logits(head(map).to(torch::kFloat32), target);
    } else {
      logits = net->forward(x).to(torch::kFloat32);
    }
  }
  const torch::Tensor train_logits =
      o.balance == Balance::kLogitAdjust ? logits + o.logit_tau * run.log_prior : logits;
  auto ce = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
  if (o.balance == Balance::kWeighted) ce.weight(run.class_weights);
  torch::Tensor loss = torch::nn::functional::cross_entropy(train_logits, y, ce);
  if (mixed.lambda < 1.0) {
    loss = mixed.lambda * loss + (1.0 - mixed.lambda) * torch::nn::functional::cross_entropy(
                                                            train_logits, mixed.labels_b, ce);
  }
  StepResult r;
  r.loss = loss.item<double>();
  if (teacher_p.defined()) {
    const double t = o.distill_temperature;
    const torch::Tensor target = torch::softmax(teacher_p.clamp_min(1e-12).log() / t, 1);
    const torch::Tensor kl =
        (target * (target.clamp_min(1e-12).log() - torch::log_softmax(logits / t, 1)))
            .sum(1)
            .mean() *
        (t * t);
    r.distill_loss = kl.item<double>();
    loss = (1 - o.distill_weight) * loss + o.distill_weight * kl;
  }
  if (mask_loss.defined()) {
    r.mask_loss = mask_loss.item<double>();
    loss = loss + o.mask_weight * mask_loss;
  }
  if (scale != 1.0) loss = loss * scale;
  loss.backward();
  r.correct = static_cast<std::size_t>(logits.argmax(1).eq(y).sum().item<long>());
  return r;
}

enum class Tensors { kParameters, kBuffers };

// The network's then the mask head's (if any) parameters or buffers, in one list.
std::vector<torch::Tensor> replica_tensors(const Net& net, const torch::nn::Conv2d& head,
                                           Tensors which) {
  auto of = [which](const torch::nn::Module& m) {
    return which == Tensors::kParameters ? m.parameters() : m.buffers();
  };
  std::vector<torch::Tensor> t = of(*net);
  if (head) {
    const std::vector<torch::Tensor> h = of(*head);
    t.insert(t.end(), h.begin(), h.end());
  }
  return t;
}

// Copy k's network and mask head (copy 0: the run's own; no mask head: null).
Net net_of(const TrainingRun& run, std::size_t k) {
  return k == 0 ? run.net : run.replica_nets[k - 1];
}
torch::nn::Conv2d head_of(const TrainingRun& run, std::size_t k) {
  if (!run.mask_head) return torch::nn::Conv2d{nullptr};
  return k == 0 ? run.mask_head : run.replica_heads[k - 1];
}

// One data-parallel step's forward/backward (see the header): gradients summed into
// run.net (and run.mask_head), BatchNorm running statistics averaged into them.
StepResult replicated_step(TrainingRun& run, const std::vector<std::size_t>& indices) {
  const std::size_t n = run.workers->size();
  std::vector<std::vector<std::size_t>> shards(n);
  for (std::size_t k = 0, at = 0; k < n; ++k) {
    const std::size_t len = indices.size() / n + (k < indices.size() % n ? 1 : 0);
    shards[k].assign(indices.begin() + static_cast<long>(at),
                     indices.begin() + static_cast<long>(at + len));
    at += len;
  }
  std::vector<std::uint32_t> seeds(n);
  for (std::uint32_t& s : seeds) s = static_cast<std::uint32_t>(run.rng());
  {
    torch::NoGradGuard guard;
    const std::vector<torch::Tensor> net_state = state_tensors(*run.net);
    const std::vector<torch::Tensor> head_state =
        run.mask_head ? state_tensors(*run.mask_head) : std::vector<torch::Tensor>{};
    for (std::size_t k = 1; k < n; ++k) {
      torch::nn::Conv2d head = head_of(run, k);
      restore(*net_of(run, k), net_state);
      if (head) restore(*head, head_state);
      net_of(run, k)->train(run.net->is_training());  // BatchNorm's mode follows
      if (head) head->train(run.net->is_training());
      for (torch::Tensor& p : replica_tensors(net_of(run, k), head, Tensors::kParameters))
        p.mutable_grad() = torch::Tensor();
    }
  }
  std::vector<StepResult> out(n);
  // Shards are filled first to last, so the copies taking part are 0..m-1.
  const auto taking_part = static_cast<std::size_t>(
      std::count_if(shards.begin(), shards.end(), [](const auto& s) { return !s.empty(); }));
  if (run.batch_norm_sync) run.batch_norm_sync->begin_step(taking_part);
  run.workers->run([&](std::size_t k) {
    if (shards[k].empty()) return;
    Net net = net_of(run, k);
    torch::nn::Conv2d head = head_of(run, k);
    std::mt19937 rng(seeds[k]);
    net->dropout_generator->set_current_seed(seeds[k]);  // a function of the step's draws
    try {
      out[k] =
          shard_step(run, net, head, shards[k], rng,
                     static_cast<double>(shards[k].size()) / static_cast<double>(indices.size()));
    } catch (const ExchangeAborted&) {
      return;  // another copy failed; its own error is the one run() rethrows
    } catch (...) {
      if (run.batch_norm_sync) run.batch_norm_sync->abort();  // release the copies waiting
      throw;
    }
  });
  torch::NoGradGuard guard;
  const std::vector<torch::Tensor> params =
      replica_tensors(run.net, run.mask_head, Tensors::kParameters);
  const std::vector<torch::Tensor> buffers =
      replica_tensors(run.net, run.mask_head, Tensors::kBuffers);
  std::size_t used = 1;
  for (std::size_t k = 1; k < n; ++k) {
    if (shards[k].empty()) continue;
    ++used;
    const torch::nn::Conv2d head = head_of(run, k);
    const std::vector<torch::Tensor> p =
        replica_tensors(net_of(run, k), head, Tensors::kParameters);
    for (std::size_t t = 0; t < p.size(); ++t) {
      if (!p[t].grad().defined()) continue;
      if (params[t].grad().defined())
        params[t].mutable_grad().add_(p[t].grad());
      else
        params[t].mutable_grad() = p[t].grad().clone();
    }
    if (run.batch_norm_sync) continue;  // synchronised: every copy's statistics are copy 0's
    const std::vector<torch::Tensor> b = replica_tensors(net_of(run, k), head, Tensors::kBuffers);
    for (std::size_t t = 0; t < b.size(); ++t)
      if (b[t].is_floating_point()) buffers[t].add_(b[t]);
  }
  if (!run.batch_norm_sync) {
    for (const torch::Tensor& b : buffers)
      if (b.is_floating_point()) b.div_(static_cast<double>(used));
  }
  StepResult r;
  for (std::size_t k = 0; k < n; ++k) {
    const double w = static_cast<double>(shards[k].size()) / static_cast<double>(indices.size());
    r.loss += w * out[k].loss;
    r.mask_loss += w * out[k].mask_loss;
    r.distill_loss += w * out[k].distill_loss;
    r.correct += out[k].correct;
  }
  return r;
}

}  // namespace

StepResult train_step(TrainingRun& run, const std::vector<std::size_t>& indices) {
  set_lr(run, lr_at(run.o, run.step, run.total_steps));
  run.opt->zero_grad();
  const StepResult r = run.workers ? replicated_step(run, indices)
                                   : shard_step(run, run.net, run.mask_head, indices, run.rng, 1.0);
  run.opt->step();
  ++run.step;
  if (run.o.ema_decay > 0) run.ema.update(*run.net, run.step);
  return r;
}

}  // namespace skinscan
