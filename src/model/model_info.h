// model.json, the half of a model directory that says everything needed to use the weights
// honestly: architecture, input size and normalisation, class order, calibration, decision
// threshold, training options, dataset/split fingerprints and evaluation metrics. Torch-free:
// reading and writing it needs no LibTorch (the weights are model/model_dir.h).
//
// Contract: load_model_info / model_info_from_json throw ModelError with a clear message for a
// missing directory or file, unparsable JSON, an unknown architecture, a class order other
// than kClasses, or out-of-range input size or calibration.
//
// An "ensemble" model lists its members (architecture, version, calibration) under
// "ensemble" in model.json; the members share the model's preprocessing.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/classes.h"
#include "data/error.h"
#include "model/input_spec.h"

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

nlohmann::ordered_json model_info_json(const ModelInfo& info);
// `where` names the source in error messages (a path).
ModelInfo model_info_from_json(const nlohmann::json& j, const std::string& where);

// Reads `dir`/model.json.
ModelInfo load_model_info(const std::string& dir);

// Writes `dir`/model.json through a .tmp file and a rename, so a reader sees the old file or
// the new one, never half of one; throws ModelError (the old file untouched) when it cannot be
// written. save_model_info writes model_info_json(info); save_model_json writes `j` as given
// (for commands that edit one entry of an existing model.json and keep the rest verbatim).
void save_model_json(const std::string& dir, const nlohmann::ordered_json& j);
void save_model_info(const std::string& dir, const ModelInfo& info);

}  // namespace skinscan
