// The screening engine: the one component the CLI, the web app and the API call.
//
//   bytes --decode_rgb (sniffed, size-checked, EXIF, reduced JPEG decode)--> RGB
//         --Classifier (THE preprocessing, calibration)--> probabilities
//         --LesionDetector, PhotoCheck--> not_a_lesion?   --decide (THE decision rule)--> Finding
//
// Contract: screen() returns a complete Screening or throws ImageError (bad upload, with a
// stable code) -- never a partial result. The model is loaded once; an Engine is immutable
// and screen()/heatmap() may be called from many threads at once.
//
// Torch-free header (the classifier and the detector hold their tensors behind pointers):
// the CLI and the web app include it without LibTorch.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "data/image.h"
#include "model/classifier.h"
#include "screen/decision.h"
#include "screen/lesion_detector.h"
#include "screen/photo_check.h"

namespace skinscan {

inline constexpr const char* kDisclaimer = "Screening aid, not a diagnosis.";

struct EngineOptions {
  std::optional<double> threshold;   // default: the model's (0.80)
  std::optional<double> refer_risk;  // default: the model's (0.30)
  int tta = 1;                       // flip views averaged (1, 2, 4)
  ImageLimits limits;
  bool detect_non_lesions = true;
};

struct Screening {
  Finding finding;
  double lesion_score = 0;    // Mahalanobis score (lower = more lesion-like)
  double photo_score = 0;     // PhotoCheck score (lower = more like a lesion photo)
  int width = 0, height = 0;  // of the upload
  std::string format;         // jpeg, png, webp
};

class Engine {
 public:
  // Throws ModelError.
  static std::shared_ptr<const Engine> load(const std::string& model_dir, EngineOptions o = {});
  Engine(Classifier model, LesionDetector detector, EngineOptions o, PhotoCheck photo = {});

  Screening screen(std::span<const std::uint8_t> bytes) const;
  Screening screen_rgb(const cv::Mat& rgb) const;
  // Decodes like screen() does, at full size (for heatmaps and display).
  cv::Mat decode(std::span<const std::uint8_t> bytes) const;
  // Grad-CAM overlay (RGB, the image's size) for class `cls`.
  cv::Mat heatmap(const cv::Mat& rgb, ClassId cls) const;

  // The engine's fields as every surface reports them.
  nlohmann::ordered_json to_json(const Screening& s) const;

  const ModelInfo& info() const { return model_.info(); }
  const DecisionRule& rule() const { return rule_; }
  // Validation reliability of the top class (model.json operating_point), empty
  // when the model has none.
  const std::vector<ReliabilityBin>& reliability() const { return reliability_; }
  const ImageLimits& limits() const { return options_.limits; }  // incl. the minimum size
  const Classifier& classifier() const { return model_; }
  const LesionDetector& detector() const { return detector_; }
  const PhotoCheck& photo_check() const { return photo_; }

 private:
  Classifier model_;
  LesionDetector detector_;
  PhotoCheck photo_;
  EngineOptions options_;
  DecisionRule rule_;
  std::vector<ReliabilityBin> reliability_;
};

}  // namespace skinscan
