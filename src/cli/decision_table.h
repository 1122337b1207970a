// The decision table `skinscan evaluate` and `skinscan fit-operating-point` print.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "screen/decision.h"

namespace skinscan::cli {

// How `images` (any-size RGB) of true classes `labels` fall into the decisions when
// screened by the engine of `model_dir` (not-a-lesion detector included).
DecisionTable screen_decision_table(const std::string& model_dir,
                                    const std::vector<cv::Mat>& images,
                                    const std::vector<int>& labels);

}  // namespace skinscan::cli
