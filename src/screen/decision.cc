#include "screen/decision.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace skinscan {

namespace {

// Per class: the singular lower-case name and what a diagnosis of it means, in words.
struct ClassWords {
  const char* singular;
  const char* title;
  const char* meaning;
};
constexpr std::array<ClassWords, kNumClasses> kWords = {{
    {"actinic keratosis / intraepithelial carcinoma",
     "Actinic keratosis / intraepithelial carcinoma",
     "pre-cancerous or early skin cancer, see a dermatologist"},
    {"basal cell carcinoma", "Basal cell carcinoma", "a skin cancer, see a dermatologist"},
    {"benign keratosis", "Benign keratosis", "benign"},
    {"dermatofibroma", "Dermatofibroma", "benign"},
    {"melanoma", "Melanoma", "a skin cancer, see a dermatologist"},
    {"melanocytic nevus", "Melanocytic nevus", "a common mole, benign"},
    {"vascular lesion", "Vascular lesion", "benign"},
}};

constexpr const char* kDash = " \xE2\x80\x94 ";  // " — "

int percent(double p) { return static_cast<int>(std::lround(std::clamp(p, 0.0, 1.0) * 100)); }

}  // namespace

const char* decision_code(Decision d) {
  switch (d) {
    case Decision::kDiagnosis:
      return "diagnosis";
    case Decision::kNoDisease:
      return "no_disease";
    case Decision::kInconclusive:
      return "inconclusive";
    case Decision::kNotALesion:
      return "not_a_lesion";
  }
  return "?";
}

Finding decide(const ClassProbs& p, const DecisionRule& rule, bool not_a_lesion) {
  Finding f;
  f.probabilities = p;
  std::array<ClassId, kNumClasses> order;
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](ClassId a, ClassId b) {
    const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
    if (p[ua] != p[ub]) return p[ua] > p[ub];
    return class_malignant(a) && !class_malignant(b);
  });
  std::copy_n(order.begin(), 3, f.top3.begin());
  f.label = order[0];
  f.confidence = p[static_cast<std::size_t>(f.label)];
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    if (kClasses[c].malignant) f.malignancy_risk += p[c];
  }
  if (not_a_lesion) {
    f.decision = Decision::kNotALesion;
    f.refer = false;
    return f;
  }
  const bool risky = f.malignancy_risk >= rule.refer_risk;
  if (f.confidence >= rule.threshold) {
    f.decision = Decision::kDiagnosis;
    f.refer = risky || class_malignant(f.label);
  } else if (!risky && f.malignancy_risk < rule.low_risk) {
    f.decision = Decision::kNoDisease;
    f.refer = false;
  } else {
    f.decision = Decision::kInconclusive;
    f.refer = true;
  }
  return f;
}

std::string class_short_name(ClassId c) { return kWords.at(static_cast<std::size_t>(c)).singular; }

std::string decision_words(const Finding& f) {
  switch (f.decision) {
    case Decision::kDiagnosis: {
      const ClassWords& w = kWords.at(static_cast<std::size_t>(f.label));
      return std::string(w.title) + kDash + w.meaning;
    }
    case Decision::kNoDisease:
      return "No disease detected";
    case Decision::kInconclusive:
      return std::string("Inconclusive") + kDash + "needs a dermatologist's review";
    case Decision::kNotALesion:
      return std::string("Not a skin-lesion photo") + kDash + "please retake the photo";
  }
  return "";
}

std::string confidence_words(const Finding& f) {
  if (f.decision == Decision::kNotALesion) return "";
  return std::to_string(percent(f.confidence)) + "% " + class_short_name(f.label);
}

LowRiskFit fit_low_risk(const std::vector<ClassProbs>& probs, const std::vector<int>& labels,
                        const DecisionRule& rule, double max_share) {
  LowRiskFit fit;
  std::vector<double> malignant_below;  // risks of malignant rows under the threshold
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const Finding f = decide(probs[i], rule);
    const bool malignant = class_malignant(labels.at(i));
    (malignant ? fit.malignant : fit.benign)++;
    if (malignant && f.confidence < rule.threshold) malignant_below.push_back(f.malignancy_risk);
  }
  std::sort(malignant_below.begin(), malignant_below.end());
  const auto allowed =
      static_cast<std::size_t>(std::floor(max_share * static_cast<double>(fit.malignant) + 1e-9));
  // Rows with risk < t are "No disease": t = the (allowed+1)-th smallest malignant risk lets
  // at most `allowed` malignant rows through (fewer on ties).
  fit.low_risk = allowed < malignant_below.size() ? malignant_below[allowed] : rule.refer_risk;
  fit.low_risk = std::min(fit.low_risk, rule.refer_risk);
  DecisionRule fitted = rule;
  fitted.low_risk = fit.low_risk;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    if (decide(probs[i], fitted).decision != Decision::kNoDisease) continue;
    (class_malignant(labels[i]) ? fit.malignant_no_disease : fit.benign_no_disease)++;
  }
  return fit;
}

std::vector<ReliabilityBin> reliability_bins(const std::vector<ClassProbs>& probs,
                                             const std::vector<int>& labels, int bins) {
  std::vector<ReliabilityBin> out(static_cast<std::size_t>(bins));
  for (int b = 0; b < bins; ++b) {
    out[static_cast<std::size_t>(b)].lo = static_cast<double>(b) / bins;
    out[static_cast<std::size_t>(b)].hi = static_cast<double>(b + 1) / bins;
  }
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const Finding f = decide(probs[i], {});
    const int b = std::clamp(static_cast<int>(f.confidence * bins), 0, bins - 1);
    ReliabilityBin& bin = out[static_cast<std::size_t>(b)];
    bin.n++;
    bin.correct += f.label == labels.at(i);
  }
  return out;
}

std::string reliability_words(const std::vector<ReliabilityBin>& bins, double confidence) {
  for (std::size_t k = 0; k < bins.size(); ++k) {
    const ReliabilityBin& b = bins[k];
    const bool last = k + 1 == bins.size();
    if (confidence < b.lo || (confidence >= b.hi && !last)) continue;
    if (b.n < 5) return "";
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "On held-out images, when the top class had %d-%d%% confidence it was right "
                  "%d%% of the time (%d images).",
                  percent(b.lo), percent(b.hi), percent(static_cast<double>(b.correct) / b.n), b.n);
    return buf;
  }
  return "";
}

DecisionTable tabulate(const std::vector<Finding>& findings, const std::vector<int>& labels) {
  DecisionTable t;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    const ClassId y = labels.at(i);
    t.counts.at(static_cast<std::size_t>(y)).at(static_cast<std::size_t>(f.decision))++;
    if (class_malignant(y)) {
      t.malignant++;
      t.malignant_no_disease += f.decision == Decision::kNoDisease;
      t.malignant_referred += f.refer;
    } else {
      t.benign++;
      t.benign_no_disease += f.decision == Decision::kNoDisease;
      t.benign_referred += f.refer;
    }
  }
  return t;
}

std::string decision_table_text(const DecisionTable& t) {
  std::string s;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-6s %10s %11s %13s %13s\n", "class", "diagnosis", "no_disease",
                "inconclusive", "not_a_lesion");
  s += buf;
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const auto& r = t.counts[c];
    std::snprintf(buf, sizeof buf, "%-6s %10d %11d %13d %13d\n",
                  std::string(kClasses[c].code).c_str(), r[0], r[1], r[2], r[3]);
    s += buf;
  }
  auto share = [](int a, int b) { return b ? 100.0 * a / b : 0.0; };
  std::snprintf(buf, sizeof buf, "malignant worded \"No disease\": %d of %d (%.1f%%)\n",
                t.malignant_no_disease, t.malignant, share(t.malignant_no_disease, t.malignant));
  s += buf;
  std::snprintf(buf, sizeof buf, "referral sensitivity (malignant referred): %d of %d (%.1f%%)\n",
                t.malignant_referred, t.malignant, share(t.malignant_referred, t.malignant));
  s += buf;
  std::snprintf(buf, sizeof buf, "benign referred: %d of %d (%.1f%%)\n", t.benign_referred,
                t.benign, share(t.benign_referred, t.benign));
  s += buf;
  return s;
}

}  // namespace skinscan
