#include "model/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

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
    // Parallel-variance merge in plain doubles (the per-channel vectors are small; a loop here
    // replaces ~20 tiny tensor ops per layer): mean = sum n_k m_k / n;
    // M2 = sum n_k v_k + n_k (m_k - mean)^2; var = M2 / n.
    std::vector<const double*> parts;  // each copy's [n, mean[C], var[C]], contiguous doubles
    double n = 0;
    for (const torch::Tensor& t : all) {
      parts.push_back(t.data_ptr<double>());
      n += parts.back()[0];
    }
    torch::Tensor mean_f = torch::empty({c}, torch::kFloat32);
    torch::Tensor var_f = torch::empty({c}, torch::kFloat32);
    const bool update = running_mean.defined();
    torch::Tensor g_mean64, g_var64;
    if (update) {
      g_mean64 = torch::empty({c}, torch::kFloat64);
      g_var64 = torch::empty({c}, torch::kFloat64);
    }
    float* mp = mean_f.data_ptr<float>();
    float* vp = var_f.data_ptr<float>();
    double* gm = update ? g_mean64.data_ptr<double>() : nullptr;
    double* gv = update ? g_var64.data_ptr<double>() : nullptr;
    for (long ch = 0; ch < c; ++ch) {
      double s = 0;
      for (const double* d : parts) s += d[0] * d[1 + ch];
      const double m = s / n;
      double m2 = 0;
      for (const double* d : parts) {
        const double dm = d[1 + ch] - m;
        m2 += d[0] * (d[1 + c + ch] + dm * dm);
      }
      const double v = m2 / n;
      mp[ch] = static_cast<float>(m);
      vp[ch] = static_cast<float>(v);
      if (update) {
        gm[ch] = m;
        gv[ch] = v * (n / std::max(n - 1, 1.0));  // unbiased, as nn::BatchNorm2d keeps it
      }
    }
    if (update) {
      running_mean.mul_(1 - factor).add_(g_mean64.to(running_mean.scalar_type()), factor);
      running_var.mul_(1 - factor).add_(g_var64.to(running_var.scalar_type()), factor);
    }
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
    const std::vector<torch::Tensor> all = sync->all_gather(rank, local);
    // dx = dx0 - w invstd (sum_dy + xhat sum_dy_xhat) / n, with xhat = (x - mean) invstd,
    // = dx0 + a x + b: a = -w invstd^2 sum_dy_xhat / n, b = -w invstd sum_dy / n - a mean.
    // Per channel in plain doubles: sum_dy and sum_dy_xhat are the copies' shares added.
    const torch::Tensor w32 = weight.to(torch::kFloat32).contiguous();
    const torch::Tensor m32 = mean.contiguous(), v32 = var.contiguous();
    const float *wp = w32.data_ptr<float>(), *mp = m32.data_ptr<float>(),
                *vp = v32.data_ptr<float>();
    std::vector<const double*> parts;  // each copy's [sum dy[C], sum dy*xhat[C]]
    for (const torch::Tensor& t : all) parts.push_back(t.data_ptr<double>());
    torch::Tensor a32 = torch::empty({c}, torch::kFloat32),
                  b32 = torch::empty({c}, torch::kFloat32);
    float *ap = a32.data_ptr<float>(), *bp = b32.data_ptr<float>();
    for (long ch = 0; ch < c; ++ch) {
      double sum_dy = 0, sum_dy_xhat = 0;
      for (const double* d : parts) {
        sum_dy += d[ch];
        sum_dy_xhat += d[c + ch];
      }
      const double invstd = 1.0 / std::sqrt(static_cast<double>(vp[ch]) + eps);
      const double w = wp[ch];
      const double a = -w * invstd * invstd * sum_dy_xhat / n;
      const double b = -w * invstd * sum_dy / n - a * mp[ch];
      ap[ch] = static_cast<float>(a);
      bp[ch] = static_cast<float>(b);
    }
    dx.addcmul_(xf, per_channel(a32)).add_(per_channel(b32));
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
