#include "train/calibrate.h"

#include <cmath>

#include "model/classifier_torch.h"
#include "train/metrics.h"

namespace skinscan {

double nll(const torch::Tensor& logits, const std::vector<int>& labels, const Calibration& c) {
  const torch::Tensor p = calibrate(logits, c).clamp_min(1e-12).log();
  const torch::Tensor y = torch::tensor(std::vector<long>(labels.begin(), labels.end()));
  return -p.gather(1, y.unsqueeze(1)).mean().item<double>();
}

double fit_temperature(const torch::Tensor& logits, const std::vector<int>& labels, Calibration c) {
  double lo = std::log(0.05), hi = std::log(20.0);
  const double g = (std::sqrt(5.0) - 1) / 2;
  auto f = [&](double log_t) {
    c.temperature = std::exp(log_t);
    return nll(logits, labels, c);
  };
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = f(x1), f2 = f(x2);
  for (int i = 0; i < 60; ++i) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = f(x2);
    }
  }
  return std::exp((lo + hi) / 2);
}

PriorChoice choose_prior_adjustment(const torch::Tensor& logits, const std::vector<int>& labels,
                                    const Calibration& base, double min_mel_recall, double lowest) {
  const int mel = *class_from_code("mel");
  PriorChoice best;
  bool best_ok = false;
  double best_score = -1;
  for (int step = 0; step <= 20; ++step) {
    Calibration c = base;
    c.prior_adjustment = lowest + 0.05 * step;
    c.temperature = 1.0;
    const torch::Tensor pred_t = calibrate(logits, c).argmax(1);
    std::vector<int> pred(pred_t.data_ptr<long>(), pred_t.data_ptr<long>() + pred_t.numel());
    int correct = 0, mel_n = 0, mel_hit = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      correct += pred[i] == labels[i];
      if (labels[i] == mel) {
        ++mel_n;
        mel_hit += pred[i] == mel;
      }
    }
    PriorChoice pc;
    pc.adjustment = c.prior_adjustment;
    pc.accuracy = labels.empty() ? 0 : static_cast<double>(correct) / labels.size();
    pc.balanced_accuracy = balanced_accuracy(labels, pred, static_cast<int>(kNumClasses));
    pc.melanoma_recall = mel_n ? static_cast<double>(mel_hit) / mel_n : 0;
    const bool ok = pc.melanoma_recall >= min_mel_recall;
    // Unreachable floor: a = lowest (the first a tried) stays, never a noisy maximum of recall.
    const double score = ok ? pc.accuracy + pc.balanced_accuracy : 0.0;
    if ((ok && !best_ok) || (ok == best_ok && score > best_score)) {
      best = pc;
      best_ok = ok;
      best_score = score;
    }
  }
  return best;
}

nlohmann::ordered_json prior_choice_json(const PriorChoice& p) {
  return {{"adjustment", p.adjustment},
          {"accuracy", p.accuracy},
          {"balanced_accuracy", p.balanced_accuracy},
          {"melanoma_recall", p.melanoma_recall}};
}

}  // namespace skinscan
