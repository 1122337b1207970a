// Lesion segmentation masks for auxiliary supervision (TrainOptions::mask_weight).
// The flat HAM10000 layout keeps one mask per image at DIR/masks/<image_id>_segmentation.png
// (8-bit grey, 255 = lesion), aligned with the image.
//
// Contract: load_masks returns one model-sized CV_8UC1 mask per index (INTER_AREA, so
// border pixels are fractional), or throws DataError naming the first missing or
// unreadable mask; it never returns a partial set.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/dataset.h"
#include "model/preprocess.h"

namespace skinscan {

std::string mask_path(const Dataset& ds, std::size_t index);

std::vector<cv::Mat> load_masks(const Dataset& ds, const std::vector<std::size_t>& indices,
                                const InputSpec& spec);

}  // namespace skinscan
