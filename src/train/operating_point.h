// The low-risk operating point of the decision rule (screen/decision.h), fitted on
// VALIDATION rows only, like the calibration: the largest malignancy risk under which a
// below-threshold result may be worded "No disease detected" while at most 3% of the
// malignant validation lesions are. Stored in model.json under "operating_point"
// (no_disease_max_risk, how it was fitted, and the validation reliability bins the result
// page quotes); the engine reads it (screen/engine.cc), with kDefaultLowRisk when absent.
//
// Used by `skinscan train` and `skinscan ensemble` (calibrate_and_score) and by
// `skinscan fit-operating-point`, which refits a trained model directory in place.
// Torch-free header: class_probs' tensor is declared in model/torch_fwd.h.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_info.h"
#include "model/torch_fwd.h"
#include "screen/decision.h"

namespace skinscan {

// Calibrated probabilities [N,7] as rows.
std::vector<ClassProbs> class_probs(const at::Tensor& probs);

// The decision rule a model directory states (threshold, refer risk, low risk).
DecisionRule model_rule(const ModelInfo& info);

// Fits on validation probabilities: sets info.extra["operating_point"].
LowRiskFit fit_operating_point(const std::vector<ClassProbs>& val_probs,
                               const std::vector<int>& val_labels, ModelInfo& info,
                               double max_share = kMaxMalignantNoDisease);

// {"class_order", "decision_order", "counts" [class][decision], "malignant", ...}.
nlohmann::ordered_json decision_table_json(const DecisionTable& t);

}  // namespace skinscan
