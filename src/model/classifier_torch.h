// The LibTorch side of model/classifier.h, for code that uses a Classifier's tensors or its
// network: LibTorch itself, the networks (model/nets.h), THE preprocessing
// (model/preprocess.h), the weights of a model directory (model/model_dir.h) and calibrate().
// Torch-free code includes model/classifier.h (or model/model_info.h) instead.
#pragma once

#include <torch/torch.h>

#include "model/classifier.h"
#include "model/model_dir.h"
#include "model/nets.h"
#include "model/preprocess.h"

namespace skinscan {

// logits [N,7] -> calibrated probabilities [N,7].
torch::Tensor calibrate(const torch::Tensor& logits, const Calibration& c);

}  // namespace skinscan
