// THE decision rule of SkinScan: one implementation used by the CLI, the web app, the API
// and the WhatsApp message. Plain C++ (no LibTorch).
//
// Given calibrated probabilities of the 7 classes:
//   - the top class is the most probable (exact ties go to the malignant class, then to
//     the lower class index);
//   - decision is `diagnosis` when its probability reaches `threshold` (>=), otherwise
//     `no_disease` as in the seed article (HAM10000 has no healthy-skin class);
//   - malignancy_risk = P(mel) + P(bcc) + P(akiec);
//   - `refer` (see a dermatologist) is raised when malignancy_risk >= refer_risk or the
//     diagnosis is a malignant class, so a risky result is never plain "No disease";
//   - an upload judged not to be a lesion photo gets `not_a_lesion` and no refer flag.
#pragma once

#include <array>
#include <string>

#include "data/classes.h"

namespace skinscan {

enum class Decision { kDiagnosis, kNoDisease, kNotALesion };
const char* decision_code(Decision d);  // "diagnosis", "no_disease", "not_a_lesion"

struct DecisionRule {
  double threshold = 0.80;
  double refer_risk = 0.30;
};

using ClassProbs = std::array<double, kNumClasses>;

struct Finding {
  ClassId label = 0;      // top class
  double confidence = 0;  // its calibrated probability
  Decision decision = Decision::kNoDisease;
  double malignancy_risk = 0;
  bool refer = false;
  std::array<ClassId, 3> top3{};
  ClassProbs probabilities{};
};

Finding decide(const ClassProbs& calibrated, const DecisionRule& rule, bool not_a_lesion = false);

// The decision in words, as every surface shows it: the class's full name, "No disease",
// or "Not a skin-lesion photo".
std::string decision_words(const Finding& f);

}  // namespace skinscan
