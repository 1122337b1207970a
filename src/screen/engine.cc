#include "screen/engine.h"

#include "data/error.h"
#include "model/classifier_torch.h"
#include "screen/heatmap.h"

namespace skinscan {

std::shared_ptr<const Engine> Engine::load(const std::string& model_dir, EngineOptions o) {
  Classifier model = Classifier::load(model_dir);
  LesionDetector det = LesionDetector::load(model_dir, model.info());
  PhotoCheck photo;
  try {
    const auto& extra = model.info().extra;
    if (extra.contains("photo_check")) photo = PhotoCheck::from_json(extra["photo_check"]);
  } catch (const std::exception& e) {
    throw ModelError(model_dir + "/model.json: photo_check: " + e.what());
  }
  const FieldOfView input_fov = model.info().input.field_of_view;
  if (!photo.empty() && photo.field_of_view() != input_fov) {
    throw ModelError(model_dir + "/model.json: the photo check was fitted with field of view '" +
                     field_of_view_name(photo.field_of_view()) + "' but the model's input is '" +
                     field_of_view_name(input_fov) + "'; refit it (skinscan fit-detector)");
  }
  return std::make_shared<const Engine>(std::move(model), std::move(det), o, std::move(photo));
}

Engine::Engine(Classifier model, LesionDetector detector, EngineOptions o, PhotoCheck photo)
    : model_(std::move(model)),
      detector_(std::move(detector)),
      photo_(std::move(photo)),
      options_(o) {
  model_.net()->fuse_for_inference();  // serving copy: BatchNorm folded into convolutions
  // A photo smaller than the model's input has too few pixels to screen: refused, never
  // upscaled into a confident answer.
  const InputSpec& in = model_.info().input;
  options_.limits.min_long_side =
      std::max(options_.limits.min_long_side, std::max(in.width, in.height));
  options_.limits.min_short_side =
      std::max(options_.limits.min_short_side, std::min(in.width, in.height));
  rule_.threshold = o.threshold.value_or(model_.info().threshold);
  rule_.refer_risk = o.refer_risk.value_or(model_.info().refer_threshold);
  // model.json "operating_point" (fitted on validation, see train/operating_point.h); a
  // model directory without one keeps the conservative default.
  const auto& extra = model_.info().extra;
  const auto op = extra.contains("operating_point") ? extra["operating_point"]
                                                    : nlohmann::ordered_json::object();
  rule_.low_risk = op.value("no_disease_max_risk", kDefaultLowRisk);
  if (!(rule_.low_risk >= 0 && rule_.low_risk <= 1)) {
    throw ModelError("model.json operating_point.no_disease_max_risk must be in [0, 1]");
  }
  if (op.contains("reliability")) {
    for (const auto& b : op["reliability"]) {
      reliability_.push_back({b.at("lo").get<double>(), b.at("hi").get<double>(),
                              b.at("n").get<int>(), b.at("correct").get<int>()});
    }
  }
  if (!(rule_.threshold > 0 && rule_.threshold <= 1) ||
      !(rule_.refer_risk > 0 && rule_.refer_risk <= 1)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "threshold and refer risk must be in (0, 1]");
  }
}

cv::Mat Engine::decode(std::span<const std::uint8_t> bytes) const {
  return decode_rgb(bytes, options_.limits);
}

Screening Engine::screen(std::span<const std::uint8_t> bytes) const {
  ImageHeader h;
  Screening s = screen_rgb(decode_rgb(bytes, options_.limits, min_decode_side(info().input), &h));
  s.width = h.display_width();
  s.height = h.display_height();
  s.format = format_name(h.format);
  return s;
}

Screening Engine::screen_rgb(const cv::Mat& rgb) const {
  Screening s;
  s.width = rgb.cols;
  s.height = rgb.rows;
  const torch::Tensor x = model_.batch({rgb});
  auto [features, logits] = model_.features_and_logits(x);
  logits = model_.with_flip_views(x, logits, options_.tta);  // identity view not run twice
  const torch::Tensor p = calibrate(logits, info().calibration).to(torch::kFloat64).contiguous();
  ClassProbs probs;
  std::copy_n(p.data_ptr<double>(), kNumClasses, probs.begin());
  bool not_lesion = false;
  if (options_.detect_non_lesions && !detector_.empty()) {
    s.lesion_score = detector_.scores(features)[0].item<double>();
    not_lesion = s.lesion_score > detector_.threshold();
  }
  if (options_.detect_non_lesions && !photo_.empty()) {
    s.photo_score = photo_.score(photo_.stats(rgb));
    not_lesion = not_lesion || s.photo_score > photo_.threshold();
  }
  s.finding = decide(probs, rule_, not_lesion);
  return s;
}

cv::Mat Engine::heatmap(const cv::Mat& rgb, ClassId cls) const {
  return overlay_heatmap(rgb, grad_cam(model_, rgb, cls));
}

nlohmann::ordered_json Engine::to_json(const Screening& s) const {
  using json = nlohmann::ordered_json;
  const Finding& f = s.finding;
  json probs = json::object();
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    probs[std::string(class_code(static_cast<ClassId>(c)))] = f.probabilities[c];
  }
  json top3 = json::array();
  for (ClassId c : f.top3) {
    top3.push_back({{"label", class_code(c)},
                    {"name", class_name(c)},
                    {"probability", f.probabilities[static_cast<std::size_t>(c)]}});
  }
  json j;
  j["label"] = class_code(f.label);
  j["name"] = class_name(f.label);
  j["confidence"] = f.confidence;
  j["decision"] = decision_code(f.decision);
  j["decision_text"] = decision_words(f);
  j["confidence_text"] = confidence_words(f);
  j["confidence_meaning"] = f.decision == Decision::kNotALesion
                                ? std::string()
                                : reliability_words(reliability_, f.confidence);
  j["refer"] = f.refer;
  j["malignancy_risk"] = f.malignancy_risk;
  j["probabilities"] = probs;
  j["top3"] = top3;
  j["threshold"] = rule_.threshold;
  j["no_disease_max_risk"] = rule_.low_risk;
  if (!detector_.empty()) {
    j["lesion_score"] = s.lesion_score;
    j["lesion_threshold"] = detector_.threshold();
  }
  if (!photo_.empty()) {
    j["photo_score"] = s.photo_score;
    j["photo_threshold"] = photo_.threshold();
  }
  j["model"] = {{"name", info().name}, {"version", info().version}};
  j["disclaimer"] = kDisclaimer;
  return j;
}

}  // namespace skinscan
