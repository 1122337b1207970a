// fit-operating-point subcommand, and the decision table `evaluate` prints.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/decision_table.h"
#include "data/dataset.h"
#include "data/error.h"
#include "model/classifier_torch.h"
#include "screen/engine.h"
#include "train/finalize.h"
#include "train/operating_point.h"
#include "train/split.h"

namespace fs = std::filesystem;

namespace skinscan::cli {

DecisionTable screen_decision_table(const std::string& model_dir,
                                    const std::vector<cv::Mat>& images,
                                    const std::vector<int>& labels) {
  const auto engine = Engine::load(model_dir);
  std::vector<Finding> findings;
  findings.reserve(images.size());
  for (const cv::Mat& rgb : images) findings.push_back(engine->screen_rgb(rgb).finding);
  return tabulate(findings, labels);
}

void add_fit_operating_point_command(CLI::App& app) {
  struct Opts {
    std::string model = default_model_dir(), data, split;
    double max_share = kMaxMalignantNoDisease;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "fit-operating-point",
      "Fit the 'No disease detected' risk limit of a trained model on its validation split "
      "(model.json updated in place; no retraining)");
  cmd->add_option("--model", o->model, "Model directory (updated in place)")->capture_default_str();
  cmd->add_option("--data", o->data, "Dataset the model was trained on")->required();
  cmd->add_option("--split", o->split, "The model's split file (needs validation rows)")
      ->required();
  cmd->add_option("--max-malignant-share", o->max_share,
                  "Share of malignant validation images allowed to be worded 'No disease'")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  cmd->callback([o] {
    const Classifier model = Classifier::load(o->model);
    const Dataset ds = open_dataset(o->data);
    const Split split = align_split(load_split(o->split), ds);
    const auto& data = model.info().extra.value("data", nlohmann::ordered_json::object());
    if (data.value("split_fingerprint", split.fingerprint()) != split.fingerprint()) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            o->model + " was trained on split " +
                                data.value("split_fingerprint", "?") + ", not " +
                                split.fingerprint() + ": fit it on its own split");
    }
    const LabelledImages val = load_part(ds, split.indices(Part::kVal), model.info().input, true);
    if (val.labels.empty())
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "the split has no validation rows");
    ModelInfo info = model.info();
    const torch::Tensor logits = batch_logits(model.net(), val.images, info.input, torch::kCPU);
    const LowRiskFit fit = fit_operating_point(class_probs(calibrate(logits, info.calibration)),
                                               val.labels, info, o->max_share);

    const fs::path json_path = fs::path(o->model) / kModelJson;
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(std::ifstream(json_path));
    j["operating_point"] = info.extra["operating_point"];
    save_model_json(o->model, j);
    std::printf(
        "no_disease_max_risk %.4f: validation malignant worded 'No disease' %d of %d, benign "
        "%d of %d\n",
        fit.low_risk, fit.malignant_no_disease, fit.malignant, fit.benign_no_disease, fit.benign);
    const auto test_idx = split.indices(Part::kTest);
    if (!test_idx.empty()) {
      std::vector<cv::Mat> images;
      std::vector<int> labels;
      for (std::size_t i : test_idx) {
        images.push_back(read_image_rgb(ds.samples[i].image_path, {}, min_decode_side(info.input)));
        labels.push_back(ds.samples[i].dx);
      }
      // The test rows' decision table at the new operating point, through the serving engine
      // (not-a-lesion detector included), which reads the model.json just written.
      const DecisionTable t = screen_decision_table(o->model, images, labels);
      if (j.contains("metrics") && j["metrics"].contains("test")) {
        j["metrics"]["test"]["decisions"] = decision_table_json(t);
        save_model_json(o->model, j);
      }
      std::cout << "test rows:\n" << decision_table_text(t);
    }
  });
}

}  // namespace skinscan::cli
