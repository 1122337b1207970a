#include "screen/heatmap.h"

#include <opencv2/imgproc.hpp>

#include "data/error.h"
#include "model/classifier_torch.h"
#include "model/explain.h"

namespace skinscan {

cv::Mat grad_cam(const Classifier& model, const cv::Mat& rgb, ClassId cls) {
  const torch::Tensor x = model.batch({rgb});
  torch::AutoGradMode grad_on(true);
  auto [f, logits] = forward_for_explanation(*model.net(), x);
  if (f.dim() != 4)
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "this network has no spatial feature map for Grad-CAM");
  // autograd::grad returns the gradient without touching parameters' .grad: thread-safe.
  const torch::Tensor g = torch::autograd::grad({logits[0][cls]}, {f})[0];
  // LayerCAM: each location weighted by its own positive gradient (not the channel mean).
  torch::Tensor cam =
      torch::relu((torch::relu(g) * f).sum(1))[0].detach().to(torch::kFloat32).contiguous();
  const double peak = cam.max().item<double>();
  if (peak > 0) cam = cam / peak;
  cv::Mat small(static_cast<int>(cam.size(0)), static_cast<int>(cam.size(1)), CV_32F,
                cam.data_ptr<float>());
  cv::Mat out;
  cv::resize(small, out, rgb.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

cv::Mat overlay_heatmap(const cv::Mat& rgb, const cv::Mat& cam) {
  cv::Mat cam8, colour_bgr, colour_rgb, out;
  cam.convertTo(cam8, CV_8U, 255.0);
  cv::applyColorMap(cam8, colour_bgr, cv::COLORMAP_JET);
  cv::cvtColor(colour_bgr, colour_rgb, cv::COLOR_BGR2RGB);
  cv::addWeighted(rgb, 0.55, colour_rgb, 0.45, 0.0, out);
  return out;
}

}  // namespace skinscan
