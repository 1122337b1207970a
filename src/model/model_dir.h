// A model directory: `weights.pt` (LibTorch archive of the network's parameters and
// buffers) beside `model.json` (model/model_info.h, torch-free), which says everything
// needed to use the weights honestly.
//
// Contract: load_weights (and Classifier::load, which reads model.json first) throws
// ModelError with a clear message for a missing weights file, an architecture that cannot be
// built, or weights that are truncated or do not fit the architecture.
//
// An "ensemble" model's one weights.pt holds every member's tensors ("m0.*", ...).
#pragma once

#include <string>

#include "model/model_info.h"
#include "model/nets.h"

namespace skinscan {

// An ensemble member from its network and its own calibration (offset = a * log_prior).
EnsembleMember ensemble_member(Net net, const Calibration& c);

// Writes weights.pt and model.json (each renamed into place from a temporary file) and, for
// arch "backbone", backbone.pt.
void save_model(const std::string& dir, const ModelInfo& info, const Net& net);
Net load_weights(const std::string& dir, const ModelInfo& info);

}  // namespace skinscan
