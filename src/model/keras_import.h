// Bringing the seed app's Keras model into SkinScan: `skinscan import keras FILE.h5`.
//
// The seed notebook's Sequential CNN on 28x28x3 (Conv16 same, Conv32 valid, MaxPool 2,
// Conv32 same, Conv64 valid, MaxPool 2 same, Flatten, Dense 64, Dense 32, Dense 7) saved by
// Keras 2.x as HDF5 (`save_weights`, or `save` with its "model_weights" group) becomes a
// `seed-cnn` model directory:
//   - layer names (conv2d[_N], max_pooling2d[_N], flatten[_N], dense[_N]), their order and
//     every weight's shape are checked; the first mismatch is named in the error;
//   - HWIO kernels -> OIHW; the first Dense's rows go from Keras' NHWC flatten order to
//     LibTorch's NCHW; Dense [in,out] -> Linear [out,in];
//   - the output rows go from the seed's label order (akiec bcc bkl df nv vasc mel) to
//     SkinScan's (data/classes.h).
//
// Preprocessing recipes (InputSpec::recipe, recorded in model.json, applied by to_tensor):
//   seed-trained  RGB 28x28, (x - mean) / std with ONE mean and std over all pixel values
//                 (0-255) of the training set, as the notebook trained it. The notebook's
//                 numbers came from its oversampled hmnist array; ours, kSeedPixelMean/Std,
//                 are seed_pixel_stats() of the reference split's non-test rows (see there).
//   seed-served   BGR raw 0-255: what the seed app fed the model (cv2.imread, never
//                 converted or standardised). A bug, kept only to compare with seed-trained.
// Both resize with resize_for_model (INTER_AREA), like every SkinScan model.
//
// Contract: import_keras writes `out_dir` completely or not at all (a temporary sibling
// directory renamed at the end). It refuses with skinscan::Error: an existing `out_dir`
// (kInvalidArgument); a missing file (kNotFound); a non-HDF5 file or HDF5 without Keras
// weights (kUnsupported); a truncated or corrupt file, non-finite weights (kCorrupt); any
// other architecture (ModelError, kModel). The imported model is uncalibrated
// (temperature 1) until `skinscan calibrate` fits it on a validation split.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "model/model_info.h"
#include "model/torch_fwd.h"

namespace skinscan {

// seed_pixel_stats() of HAM10000's reference split without its test rows (9009 images of
// ../shared/data/ham10000, decoded and resized to 28x28 by load_model_inputs), 0-255 units;
// tests/model/keras_import_test.cc recomputes them.
inline constexpr double kSeedPixelMean = 163.7691;
inline constexpr double kSeedPixelStd = 41.1251;

// "seed-trained" or "seed-served" -> the 28x28 InputSpec of that recipe (skinscan::Error
// invalid_argument otherwise).
InputSpec seed_input(const std::string& recipe);

// Mean and std over all pixel values (all channels) of model-sized RGB images, each class
// weighted equally: the expectation of the notebook's random oversampling of every class to
// the largest class's count, without its randomness.
struct PixelStats {
  double mean = 0, std = 0;
};
PixelStats seed_pixel_stats(const std::vector<cv::Mat>& images, const std::vector<int>& labels);

// Reads and checks the Keras file; returns a seed-cnn net (eval mode) with its weights.
// Throws as import_keras.
Net read_keras_seed_cnn(const std::string& h5_path);

// Lowercase hex SHA-256 of a file's bytes.
std::string file_sha256(const std::string& path);

// The whole import (see the contract above); returns the written model's info.
ModelInfo import_keras(const std::string& h5_path, const std::string& out_dir,
                       const std::string& recipe);

}  // namespace skinscan
