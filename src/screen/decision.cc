#include "screen/decision.h"

#include <algorithm>
#include <numeric>

namespace skinscan {

const char* decision_code(Decision d) {
  switch (d) {
    case Decision::kDiagnosis:
      return "diagnosis";
    case Decision::kNoDisease:
      return "no_disease";
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
  f.decision = f.confidence >= rule.threshold ? Decision::kDiagnosis : Decision::kNoDisease;
  f.refer = f.malignancy_risk >= rule.refer_risk ||
            (f.decision == Decision::kDiagnosis && class_malignant(f.label));
  return f;
}

std::string decision_words(const Finding& f) {
  switch (f.decision) {
    case Decision::kDiagnosis:
      return std::string(class_name(f.label));
    case Decision::kNoDisease:
      return "No disease";
    case Decision::kNotALesion:
      return "Not a skin-lesion photo";
  }
  return "";
}

}  // namespace skinscan
