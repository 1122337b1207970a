// THE decision rule of SkinScan: one implementation used by the CLI, the web app, the API
// and the WhatsApp message. Plain C++ (no LibTorch).
//
// Given calibrated probabilities of the 7 classes:
//   - the top class is the most probable (exact ties go to the malignant class, then to
//     the lower class index); `confidence` is ITS probability ("76% melanoma");
//   - malignancy_risk = P(mel) + P(bcc) + P(akiec);
//   - `diagnosis` when the top class reaches `threshold` (>=, the seed's 80% rule for naming
//     a class); it refers when the class is malignant or the risk reaches `refer_risk`;
//   - below the threshold, `no_disease` ("No disease detected") only when the malignancy
//     risk is LOW: under `low_risk` (an operating point fitted on validation data, see
//     fit_low_risk) and under `refer_risk`; otherwise `inconclusive`, which always refers;
//   - an upload judged not to be a lesion photo gets `not_a_lesion`, no refer flag, and
//     its words name no disease.
// Invariant (tested): a result that refers is never `no_disease`.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "data/classes.h"

namespace skinscan {

enum class Decision { kDiagnosis, kNoDisease, kInconclusive, kNotALesion };
// "diagnosis", "no_disease", "inconclusive", "not_a_lesion"
const char* decision_code(Decision d);

// The low-risk operating point of a model directory without one (fitted before this rule
// existed): conservative, below every fitted value seen on HAM10000 validation data.
inline constexpr double kDefaultLowRisk = 0.05;
// Share of malignant validation lesions allowed to be worded "No disease detected".
inline constexpr double kMaxMalignantNoDisease = 0.03;

struct DecisionRule {
  double threshold = 0.80;            // top-class probability that names a class
  double refer_risk = 0.30;           // malignancy risk that raises "refer"
  double low_risk = kDefaultLowRisk;  // below it (and below threshold): "No disease detected"
};

using ClassProbs = std::array<double, kNumClasses>;

struct Finding {
  ClassId label = 0;      // top class
  double confidence = 0;  // its calibrated probability
  Decision decision = Decision::kInconclusive;
  double malignancy_risk = 0;
  bool refer = false;
  std::array<ClassId, 3> top3{};
  ClassProbs probabilities{};
};

Finding decide(const ClassProbs& calibrated, const DecisionRule& rule, bool not_a_lesion = false);

// The decision in words, as every surface shows it:
//   diagnosis     "Melanoma — a skin cancer, see a dermatologist" /
//                 "Melanocytic nevus — a common mole, benign"
//   no_disease    "No disease detected"
//   inconclusive  "Inconclusive — needs a dermatologist's review"
//   not_a_lesion  "Not a skin-lesion photo — please retake the photo"
std::string decision_words(const Finding& f);
// What the confidence is of: "76% melanoma" (top class, lower-case singular name); empty
// for not_a_lesion (no disease is named).
std::string confidence_words(const Finding& f);
// The top class in the singular, lower case: "melanoma", "melanocytic nevus".
std::string class_short_name(ClassId c);

// ---- the low-risk operating point, fitted on VALIDATION rows only ----------------------

struct LowRiskFit {
  double low_risk = kDefaultLowRisk;
  int malignant = 0;             // malignant validation rows
  int malignant_no_disease = 0;  // of them worded "No disease detected" at low_risk
  int benign = 0;
  int benign_no_disease = 0;
};

// The largest low_risk (capped at rule.refer_risk) such that at most `max_share` of the
// malignant rows (labels: ClassId) fall below the threshold with a risk under it.
LowRiskFit fit_low_risk(const std::vector<ClassProbs>& probs, const std::vector<int>& labels,
                        const DecisionRule& rule, double max_share = kMaxMalignantNoDisease);

// Reliability of the top class on held-out rows: in each confidence bin, how often the top
// class was the true one.
struct ReliabilityBin {
  double lo = 0, hi = 0;  // [lo, hi) (the last bin includes 1)
  int n = 0;
  int correct = 0;
};
std::vector<ReliabilityBin> reliability_bins(const std::vector<ClassProbs>& probs,
                                             const std::vector<int>& labels, int bins = 10);
// One line for the result page: "On held-out images, when the top class had 70-80%
// confidence it was right 68% of the time (112 images)." Empty when no bin covers
// `confidence` or it holds fewer than 5 rows.
std::string reliability_words(const std::vector<ReliabilityBin>& bins, double confidence);

// How test rows of each true class fall into the decisions.
struct DecisionTable {
  std::array<std::array<int, 4>, kNumClasses> counts{};  // [true class][Decision]
  int malignant = 0, malignant_no_disease = 0, malignant_referred = 0;
  int benign = 0, benign_referred = 0, benign_no_disease = 0;
};
DecisionTable tabulate(const std::vector<Finding>& findings, const std::vector<int>& labels);
// The table as fixed-width text (rows: classes; columns: decisions) and its summary lines.
std::string decision_table_text(const DecisionTable& t);

}  // namespace skinscan
