// Grad-CAM explanation (Selvaraju et al. 2017): the gradient of the chosen class's logit
// with respect to the last convolutional feature map weights that map's channels; the
// positive part of the weighted sum, upsampled to the image, shows where the evidence is.
#pragma once

#include <opencv2/core.hpp>

#include "data/classes.h"
#include "model/classifier.h"

namespace skinscan {

// CV_32F map in [0,1] of the image's size (throws std::invalid_argument for a network
// without a spatial feature map, e.g. a backbone that outputs pooled features).
cv::Mat grad_cam(const Classifier& model, const cv::Mat& rgb, ClassId cls);

// The image blended with a JET-coloured CAM (alpha 0.45), RGB.
cv::Mat overlay_heatmap(const cv::Mat& rgb, const cv::Mat& cam);

}  // namespace skinscan
