#include "model/batch_norm.h"

#include <cstdint>

#include "data/error.h"

namespace skinscan {

BatchNormSync::BatchNormSync(std::size_t copies) : capacity_(copies), taking_part_(copies) {
  if (copies == 0) throw Error(ErrorCode::kInvalidArgument, "a batch-norm sync needs copies");
  bank_[0].resize(copies);
  bank_[1].resize(copies);
}

void BatchNormSync::begin_step(std::size_t taking_part) {
  if (taking_part == 0 || taking_part > capacity_)
    throw Error(ErrorCode::kInvalidArgument, "batch-norm sync: copies taking part out of range");
  std::lock_guard<std::mutex> lock(mu_);
  taking_part_ = taking_part;
  arrived_ = 0;
  aborted_ = false;
  for (auto& bank : bank_)
    for (torch::Tensor& t : bank) t = torch::Tensor();
}

std::vector<torch::Tensor> BatchNormSync::all_gather(std::size_t rank, const torch::Tensor& local) {
  std::unique_lock<std::mutex> lock(mu_);
  if (rank >= taking_part_)
    throw Error(ErrorCode::kInvalidArgument, "batch-norm sync: copy is not taking part");
  if (aborted_) throw ExchangeAborted();
  const unsigned long long g = generation_;
  std::vector<torch::Tensor>& bank = bank_[g & 1];
  bank[rank] = local;
  if (++arrived_ == taking_part_) {
    arrived_ = 0;
    ++generation_;
    cv_.notify_all();
  } else {
    cv_.wait(lock, [&] { return generation_ != g || aborted_; });
    if (generation_ == g) throw ExchangeAborted();
  }
  return {bank.begin(), bank.begin() + static_cast<long>(taking_part_)};
}

void BatchNormSync::abort() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
  }
  cv_.notify_all();
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// [C] -> [1,C,1,1], to broadcast a per-channel value over an NCHW batch.
torch::Tensor per_channel(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

struct SyncedBatchNorm : torch::autograd::Function<SyncedBatchNorm> {
  // x [N,C,H,W]; weight, bias [C] (both defined: SkinScan's layers are affine); running_mean,
  // running_var [C] or undefined; factor: the running statistics' update weight.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               const torch::Tensor& running_mean, const torch::Tensor& running_var,
                               double factor, double eps, BatchNormSync* sync, std::int64_t rank) {
    const torch::Tensor xf = x.scalar_type() == torch::kFloat32 ? x : x.to(torch::kFloat32);
    const auto [mean, var] = at::batch_norm_update_stats(xf, c10::nullopt, c10::nullopt, 0.0);
    const double n_local = static_cast<double>(xf.numel() / xf.size(1));
    const torch::Tensor local = torch::cat({torch::full({1}, n_local, torch::kFloat64),
                                            mean.to(torch::kFloat64), var.to(torch::kFloat64)});
    const std::vector<torch::Tensor> all = sync->all_gather(static_cast<std::size_t>(rank), local);
    const long c = xf.size(1);
    // Parallel-variance merge: mean = sum n_k m_k / n; M2 = sum n_k v_k + n_k (m_k - mean)^2.
    double n = 0;
    torch::Tensor sum = torch::zeros({c}, torch::kFloat64);
    for (const torch::Tensor& t : all) {
      const double n_k = t[0].item<double>();
      n += n_k;
      sum += n_k * t.slice(0, 1, 1 + c);
    }
    const torch::Tensor g_mean = sum / n;
    torch::Tensor m2 = torch::zeros({c}, torch::kFloat64);
    for (const torch::Tensor& t : all) {
      const double n_k = t[0].item<double>();
      m2 += n_k * t.slice(0, 1 + c, 1 + 2 * c) + n_k * (t.slice(0, 1, 1 + c) - g_mean).square();
    }
    const torch::Tensor g_var = m2 / n;
    if (running_mean.defined()) {
      running_mean.mul_(1 - factor).add_(g_mean.to(running_mean.scalar_type()), factor);
      running_var.mul_(1 - factor)
          .add_((g_var * (n / std::max(n - 1, 1.0))).to(running_var.scalar_type()), factor);
    }
    const torch::Tensor mean_f = g_mean.to(torch::kFloat32), var_f = g_var.to(torch::kFloat32);
    torch::Tensor y = at::batch_norm(xf, weight, bias, mean_f, var_f, /*training=*/false, 0.0, eps,
                                     at::globalContext().userEnabledCuDNN());
    ctx->save_for_backward({xf, weight, mean_f, var_f});
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["n"] = n;
    ctx->saved_data["sync"] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(sync));
    ctx->saved_data["rank"] = rank;
    ctx->saved_data["dtype"] = x.scalar_type();
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor &xf = saved[0], &weight = saved[1], &mean = saved[2], &var = saved[3];
    const double eps = ctx->saved_data["eps"].toDouble();
    const double n = ctx->saved_data["n"].toDouble();
    auto* sync = reinterpret_cast<BatchNormSync*>(
        static_cast<std::intptr_t>(ctx->saved_data["sync"].toInt()));
    const auto rank = static_cast<std::size_t>(ctx->saved_data["rank"].toInt());
    const torch::Tensor dy = grads[0].to(torch::kFloat32);
    // Eval-mode backward with the whole batch's statistics: dx0 = dy * w * invstd,
    // dw = sum(dy * xhat), db = sum(dy): this copy's shares of the sums.
    auto [dx, dw, db] =
        at::native_batch_norm_backward(dy, xf, weight, mean, var, c10::nullopt, c10::nullopt,
                                       /*train=*/false, eps, {true, true, true});
    const long c = xf.size(1);
    const torch::Tensor local = torch::cat({db.to(torch::kFloat64), dw.to(torch::kFloat64)});
    torch::Tensor total = torch::zeros({2 * c}, torch::kFloat64);
    for (const torch::Tensor& t : sync->all_gather(rank, local)) total += t;
    const torch::Tensor sum_dy = total.slice(0, 0, c), sum_dy_xhat = total.slice(0, c, 2 * c);
    // dx = dx0 - w invstd (sum_dy + xhat sum_dy_xhat) / n, with xhat = (x - mean) invstd,
    // = dx0 + a x + b: a = -w invstd^2 sum_dy_xhat / n, b = -w invstd sum_dy / n - a mean.
    const torch::Tensor invstd = (var.to(torch::kFloat64) + eps).rsqrt();
    const torch::Tensor w = weight.to(torch::kFloat64);
    const torch::Tensor a = -w * invstd.square() * sum_dy_xhat / n;
    const torch::Tensor b = -w * invstd * sum_dy / n - a * mean.to(torch::kFloat64);
    dx.addcmul_(xf, per_channel(a.to(torch::kFloat32))).add_(per_channel(b.to(torch::kFloat32)));
    const auto dtype = ctx->saved_data["dtype"].toScalarType();
    return {dx.to(dtype),
            dw,
            db,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

BatchNormImpl::BatchNormImpl(long features_) : features(features_) { reset(); }

void BatchNormImpl::reset() {
  weight = register_parameter("weight", torch::ones({features}));
  bias = register_parameter("bias", torch::zeros({features}));
  running_mean = register_buffer("running_mean", torch::zeros({features}));
  running_var = register_buffer("running_var", torch::ones({features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

void BatchNormImpl::pretty_print(std::ostream& stream) const {
  stream << "skinscan::BatchNorm(" << features << ", eps=" << eps << ", momentum=" << momentum
         << (sync ? ", synchronised" : "") << ")";
}

torch::Tensor BatchNormImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4)
    throw Error(ErrorCode::kInvalidArgument, "BatchNorm expects a 4-D [N,C,H,W] batch");
  if (!is_training()) {
    return torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/false,
                             momentum, eps, at::globalContext().userEnabledCuDNN());
  }
  num_batches_tracked += 1;
  if (!sync) {
    return torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/true,
                             momentum, eps, at::globalContext().userEnabledCuDNN());
  }
  return SyncedBatchNorm::apply(x, weight, bias, running_mean, running_var, momentum, eps,
                                sync.get(), static_cast<std::int64_t>(rank));
}

}  // namespace skinscan
