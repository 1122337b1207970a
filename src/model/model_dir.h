// A model directory: `weights.pt` (LibTorch archive of the network's parameters and
// buffers) beside `model.json`, which says everything needed to use the weights honestly:
// architecture, input size and normalisation, class order, calibration, decision
// threshold, training options, dataset/split fingerprints and evaluation metrics.
//
// Contract: load_model_info / load_classifier throw ModelError with a clear message for a
// missing directory or file, unparsable JSON, an unknown architecture, a class order other
// than kClasses, or weights that are truncated or do not fit the architecture.
//
// An "ensemble" model lists its members (architecture, version, calibration) under
// "ensemble" in model.json; its one weights.pt holds every member's tensors ("m0.*", ...);
// the members share the model's preprocessing.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/error.h"

#include <nlohmann/json.hpp>

#include "data/classes.h"
#include "model/nets.h"
#include "model/preprocess.h"

namespace skinscan {

// A model directory that is missing, incomplete or incompatible (ErrorCode kModel).
class ModelError : public Error {
 public:
  explicit ModelError(const std::string& message) : Error(ErrorCode::kModel, message) {}
};

inline constexpr const char* kModelJson = "model.json";
inline constexpr const char* kWeightsFile = "weights.pt";
inline constexpr const char* kBackboneFile = "backbone.pt";  // arch "backbone" only
inline constexpr int kModelFormat = 1;

struct Calibration {
  double temperature = 1.0;       // probabilities = softmax((logits + a*log_prior) / T)
  double prior_adjustment = 0.0;  // a: how much of the training class prior to add back
  std::array<double, kNumClasses> log_prior{};  // log of the training class frequencies
};

// One member of an "ensemble" model: its architecture, version and own calibration.
struct MemberInfo {
  std::string arch;
  std::string version;
  Calibration calibration;
};

struct ModelInfo {
  std::string name = "skinscan";
  std::string version;
  std::string arch;
  InputSpec input;
  Calibration calibration;
  double threshold = 0.80;          // decision threshold on the calibrated top probability
  double refer_threshold = 0.30;    // malignancy risk at which "refer" is raised
  std::vector<MemberInfo> members;  // arch "ensemble" only (model.json "ensemble")
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // training, metrics, ...
};

// An ensemble member from its network and its own calibration (offset = a * log_prior).
EnsembleMember ensemble_member(Net net, const Calibration& c);

nlohmann::ordered_json model_info_json(const ModelInfo& info);
ModelInfo model_info_from_json(const nlohmann::json& j, const std::string& where);

ModelInfo load_model_info(const std::string& dir);
void save_model(const std::string& dir, const ModelInfo& info, const Net& net);
Net load_weights(const std::string& dir, const ModelInfo& info);

}  // namespace skinscan
