#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "data/classes.h"
#include "data/error.h"

namespace skinscan {

namespace {

std::vector<std::vector<int>> confusion_matrix(const std::vector<int>& y,
                                               const std::vector<int>& pred, int k) {
  std::vector<std::vector<int>> c(static_cast<std::size_t>(k),
                                  std::vector<int>(static_cast<std::size_t>(k), 0));
  for (std::size_t i = 0; i < y.size(); ++i) {
    ++c[static_cast<std::size_t>(y[i])][static_cast<std::size_t>(pred[i])];
  }
  return c;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

std::vector<int> argmax_rows(const ProbRows& probs) {
  std::vector<int> out;
  out.reserve(probs.size());
  for (const auto& r : probs) {
    out.push_back(static_cast<int>(std::max_element(r.begin(), r.end()) - r.begin()));
  }
  return out;
}

double balanced_accuracy(const std::vector<int>& y, const std::vector<int>& pred, int k) {
  std::vector<int> hit(static_cast<std::size_t>(k), 0), sup(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < y.size(); ++i) {
    ++sup[static_cast<std::size_t>(y[i])];
    if (y[i] == pred[i]) ++hit[static_cast<std::size_t>(y[i])];
  }
  double sum = 0;
  int classes = 0;
  for (std::size_t c = 0; c < sup.size(); ++c) {
    if (sup[c] == 0) continue;
    sum += static_cast<double>(hit[c]) / sup[c];
    ++classes;
  }
  return classes ? sum / classes : 0.0;
}

double auc_binary(const std::vector<double>& scores, const std::vector<int>& positive) {
  // Mann-Whitney U with average ranks for ties.
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  double pos = 0, rank_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (positive[i]) {
      pos += 1;
      rank_sum += rank[i];
    }
  }
  const double neg = static_cast<double>(n) - pos;
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

double expected_calibration_error(const std::vector<int>& y, const ProbRows& probs, int bins) {
  std::vector<double> conf_sum(static_cast<std::size_t>(bins), 0),
      acc_sum(static_cast<std::size_t>(bins), 0);
  std::vector<int> count(static_cast<std::size_t>(bins), 0);
  const auto pred = argmax_rows(probs);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double conf = probs[i][static_cast<std::size_t>(pred[i])];
    auto b = static_cast<std::size_t>(std::min(bins - 1, static_cast<int>(conf * bins)));
    conf_sum[b] += conf;
    acc_sum[b] += pred[i] == y[i] ? 1.0 : 0.0;
    ++count[b];
  }
  double ece = 0;
  for (std::size_t b = 0; b < count.size(); ++b) {
    if (count[b]) ece += std::abs(acc_sum[b] - conf_sum[b]) / static_cast<double>(y.size());
  }
  return ece;
}

Metrics compute_metrics(const std::vector<int>& y, const std::vector<int>& pred,
                        const ProbRows& probs, int bootstrap, std::uint64_t seed) {
  if (y.size() != pred.size() || y.size() != probs.size()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "metrics: labels, predictions and probabilities differ in length");
  }
  const int k = static_cast<int>(kNumClasses);
  Metrics m;
  m.n = static_cast<int>(y.size());
  m.confusion = confusion_matrix(y, pred, k);
  int correct = 0;
  for (std::size_t i = 0; i < y.size(); ++i) correct += y[i] == pred[i];
  m.accuracy = m.n ? static_cast<double>(correct) / m.n : 0.0;
  m.balanced_accuracy = balanced_accuracy(y, pred, k);
  int present = 0;
  for (int c = 0; c < k; ++c) {
    const auto cu = static_cast<std::size_t>(c);
    ClassMetrics cm;
    int predicted = 0;
    for (int t = 0; t < k; ++t) predicted += m.confusion[static_cast<std::size_t>(t)][cu];
    const int tp = m.confusion[cu][cu];
    cm.support = std::accumulate(m.confusion[cu].begin(), m.confusion[cu].end(), 0);
    cm.precision = predicted ? static_cast<double>(tp) / predicted : 0.0;
    cm.recall = cm.support ? static_cast<double>(tp) / cm.support : 0.0;
    cm.f1 = cm.precision + cm.recall > 0 ? 2 * cm.precision * cm.recall / (cm.precision + cm.recall)
                                         : 0.0;
    if (cm.support) {
      m.macro_f1 += cm.f1;
      ++present;
    }
    m.weighted_f1 += cm.f1 * cm.support;
    m.per_class.push_back(cm);
    std::vector<double> scores;
    std::vector<int> positive;
    for (std::size_t i = 0; i < y.size(); ++i) {
      scores.push_back(probs[i][cu]);
      positive.push_back(y[i] == c);
    }
    m.auc_ovr.push_back(auc_binary(scores, positive));
  }
  m.macro_f1 = present ? m.macro_f1 / present : 0.0;
  m.weighted_f1 = m.n ? m.weighted_f1 / m.n : 0.0;
  double auc_sum = 0;
  int auc_n = 0;
  for (double a : m.auc_ovr) {
    if (!std::isnan(a)) {
      auc_sum += a;
      ++auc_n;
    }
  }
  m.auc_macro = auc_n ? auc_sum / auc_n : std::numeric_limits<double>::quiet_NaN();
  m.ece = m.n ? expected_calibration_error(y, probs) : 0.0;

  if (bootstrap > 0 && m.n > 0) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, y.size() - 1);
    std::vector<double> accs, baccs;
    std::vector<int> by(y.size()), bp(y.size());
    for (int b = 0; b < bootstrap; ++b) {
      int c = 0;
      for (std::size_t i = 0; i < y.size(); ++i) {
        const std::size_t j = pick(rng);
        by[i] = y[j];
        bp[i] = pred[j];
        c += by[i] == bp[i];
      }
      accs.push_back(static_cast<double>(c) / m.n);
      baccs.push_back(balanced_accuracy(by, bp, k));
    }
    m.accuracy_ci = {percentile(accs, 0.025), percentile(accs, 0.975)};
    m.balanced_accuracy_ci = {percentile(baccs, 0.025), percentile(baccs, 0.975)};
  }
  return m;
}

nlohmann::ordered_json metrics_json(const Metrics& m) {
  using json = nlohmann::ordered_json;
  auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  json j;
  j["n"] = m.n;
  j["accuracy"] = m.accuracy;
  j["balanced_accuracy"] = m.balanced_accuracy;
  j["macro_f1"] = m.macro_f1;
  j["weighted_f1"] = m.weighted_f1;
  j["accuracy_ci95"] = {m.accuracy_ci.lo, m.accuracy_ci.hi};
  j["balanced_accuracy_ci95"] = {m.balanced_accuracy_ci.lo, m.balanced_accuracy_ci.hi};
  json per = json::object();
  json auc = json::object();
  for (std::size_t c = 0; c < m.per_class.size(); ++c) {
    const std::string code(class_code(static_cast<ClassId>(c)));
    const auto& p = m.per_class[c];
    per[code] = {
        {"precision", p.precision}, {"recall", p.recall}, {"f1", p.f1}, {"support", p.support}};
    auc[code] = num(m.auc_ovr[c]);
  }
  auc["macro"] = num(m.auc_macro);
  j["per_class"] = per;
  json classes = json::array();
  for (std::size_t c = 0; c < kNumClasses; ++c)
    classes.push_back(class_code(static_cast<ClassId>(c)));
  j["class_order"] = classes;
  j["confusion_matrix"] = m.confusion;
  j["auc_ovr"] = auc;
  j["ece"] = m.ece;
  return j;
}

}  // namespace skinscan
