#include "train/operating_point.h"

#include <torch/torch.h>

namespace skinscan {

std::vector<ClassProbs> class_probs(const torch::Tensor& probs) {
  const torch::Tensor p = probs.to(torch::kCPU).to(torch::kFloat64).contiguous();
  std::vector<ClassProbs> rows(static_cast<std::size_t>(p.size(0)));
  const double* d = p.data_ptr<double>();
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(d + i * kNumClasses, kNumClasses, rows[i].begin());
  return rows;
}

DecisionRule model_rule(const ModelInfo& info) {
  DecisionRule r;
  r.threshold = info.threshold;
  r.refer_risk = info.refer_threshold;
  if (info.extra.contains("operating_point"))
    r.low_risk = info.extra["operating_point"].value("no_disease_max_risk", kDefaultLowRisk);
  return r;
}

LowRiskFit fit_operating_point(const std::vector<ClassProbs>& val_probs,
                               const std::vector<int>& val_labels, ModelInfo& info,
                               double max_share) {
  const LowRiskFit fit = fit_low_risk(val_probs, val_labels, model_rule(info), max_share);
  nlohmann::ordered_json bins = nlohmann::ordered_json::array();
  for (const ReliabilityBin& b : reliability_bins(val_probs, val_labels)) {
    bins.push_back({{"lo", b.lo}, {"hi", b.hi}, {"n", b.n}, {"correct", b.correct}});
  }
  info.extra["operating_point"] = {
      {"no_disease_max_risk", fit.low_risk},
      {"method",
       "largest malignancy risk under which at most max_malignant_share of the malignant "
       "validation images below the threshold would be worded \"No disease detected\""},
      {"fitted_on", "validation"},
      {"max_malignant_share", max_share},
      {"validation",
       {{"malignant", fit.malignant},
        {"malignant_no_disease", fit.malignant_no_disease},
        {"benign", fit.benign},
        {"benign_no_disease", fit.benign_no_disease}}},
      {"reliability", bins}};
  return fit;
}

nlohmann::ordered_json decision_table_json(const DecisionTable& t) {
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (Decision d : {Decision::kDiagnosis, Decision::kNoDisease, Decision::kInconclusive,
                       Decision::kNotALesion}) {
      row[decision_code(d)] = t.counts[c][static_cast<std::size_t>(d)];
    }
    counts[std::string(kClasses[c].code)] = row;
  }
  auto share = [](int a, int b) { return b ? static_cast<double>(a) / b : 0.0; };
  return {{"counts", counts},
          {"malignant", t.malignant},
          {"malignant_no_disease", t.malignant_no_disease},
          {"malignant_no_disease_share", share(t.malignant_no_disease, t.malignant)},
          {"malignant_referred", t.malignant_referred},
          {"referral_sensitivity", share(t.malignant_referred, t.malignant)},
          {"benign", t.benign},
          {"benign_referred", t.benign_referred},
          {"benign_referred_share", share(t.benign_referred, t.benign)},
          {"benign_no_disease", t.benign_no_disease}};
}

}  // namespace skinscan
