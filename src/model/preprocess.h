// THE preprocessing of SkinScan: one definition used by training, evaluation and serving.
//
//   any-size RGB image --resize_for_model--> input_width x input_height RGB (INTER_AREA)
//                      --to_tensor--> [field of view] [colour constancy] --> float [N,3,H,W],
//                                     (x/255 - mean) / std per channel
//
// Colour constancy (InputSpec::colour, model.json preprocessing.colour_constancy) removes
// the photo's illuminant before normalisation: Shades of Gray (Finlayson & Trezzi 2004,
// Minkowski norm p = 6) estimates each channel's illuminant as the p-norm mean of the
// model-sized image and scales the channels so that it becomes neutral grey of the same
// brightness. It runs inside to_tensor, after training augmentation, so photos from
// other dermoscopes and lighting reach the network with the colour cast removed in
// training, evaluation and serving alike.
//
// Field of view (InputSpec::field_of_view, model.json preprocessing.field_of_view): a
// dermoscope photographs a lit circle, and many photos keep the black corners or ring
// around it. In HAM10000 such borders are 3x as common on melanomas and keratoses as on
// nevi, a cue that means nothing on another clinic's dermoscope; kFill paints the border
// with the skin colour next to it before colour constancy (so the black does not drag
// the illuminant estimate either).
//
// Training augments the resized image (augment.h) before to_tensor; evaluation and serving
// do not. Images are RGB everywhere (data/image.h decodes to RGB); only a model imported
// with the seed app's serving bug (model/keras_import.h, recipe "seed-served") asks
// to_tensor for its planes in BGR order.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include "data/dataset.h"
#include "model/field_of_view.h"
#include "model/input_spec.h"

namespace skinscan {

// Returns a width x height CV_8UC3 RGB image (a no-op view if already that size).
cv::Mat resize_for_model(const cv::Mat& rgb, const InputSpec& spec);

// Per-channel gains (R, G, B) that make the Shades of Gray (p = 6) illuminant estimate of
// an RGB image neutral at the same mean brightness; {1,1,1} for a black image.
std::array<float, 3> shades_of_gray_gains(const cv::Mat& rgb);

// The same neutralisation, but to a fixed brightness instead of the photo's own: the
// estimate's grey level becomes kExposureTarget (of 1), so an under- or over-exposed photo
// of the same scene gets the same input, up to clipping. Gains are clamped to [0.25, 4];
// {1,1,1} for a black image.
inline constexpr double kExposureTarget = 0.66;  // median grey of the reference train rows
std::array<float, 3> shades_of_gray_exposure_gains(const cv::Mat& rgb);

// The gains `colour` applies to an image ({1,1,1} for kNone).
std::array<float, 3> colour_constancy_gains(const cv::Mat& rgb, ColourConstancy colour);

// Stacks model-sized RGB images into a normalised float tensor [N,3,H,W] (applying the
// spec's field of view, then its colour constancy, to each image first).
torch::Tensor to_tensor(const std::vector<cv::Mat>& images, const InputSpec& spec);

// The smallest side a JPEG may be DCT-downscaled to: twice the input's longer side, so the
// area resize still averages at least 2x2 decoded pixels per input pixel. Lets decode_rgb
// skip most of the work for large uploads; scaling all the way down to ~1.5x the input moved
// the shipped model's probabilities by up to 0.11 against a full decode (0.034 at >= 2x).
int min_decode_side(const InputSpec& spec);

// Decodes (reduced-size where possible) and resizes the dataset images at `indices` on all
// cores, with a progress bar on a terminal; result aligned with `indices`.
std::vector<cv::Mat> load_model_inputs(const Dataset& ds, const std::vector<std::size_t>& indices,
                                       const InputSpec& spec, bool progress = true);

}  // namespace skinscan
