// import keras and calibrate subcommands: bringing a model trained elsewhere into SkinScan.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "data/error.h"
#include "model/classifier.h"
#include "model/keras_import.h"
#include "train/finalize.h"
#include "train/train_options.h"

namespace fs = std::filesystem;

namespace skinscan::cli {

void add_import_command(CLI::App& app) {
  struct Opts {
    std::string file, out, preprocess = "seed-trained", sha256;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* imp = app.add_subcommand("import", "Bring a model trained elsewhere into SkinScan");
  imp->require_subcommand(1);
  CLI::App* cmd = imp->add_subcommand(
      "keras", "The seed app's Keras CNN (HDF5, e.g. best_model.h5) as a seed-cnn model directory");
  cmd->add_option("file", o->file, "Keras HDF5 file")->required();
  cmd->add_option("--out", o->out, "Model directory to create (must not exist)")->required();
  cmd->add_option("--preprocess", o->preprocess,
                  "seed-trained (RGB standardised, as the notebook trained it) or seed-served "
                  "(BGR raw 0-255, the seed app's bug; for comparison only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"seed-trained", "seed-served"}));
  cmd->add_option("--sha256", o->sha256,
                  "Refuse the file unless its SHA-256 is this (HDF5 keeps no checksum of weights)");
  cmd->callback([o] {
    if (!o->sha256.empty() && file_sha256(o->file) != o->sha256) {
      throw Error(ErrorCode::kInvalidData, o->file + ": SHA-256 is " + file_sha256(o->file) +
                                               ", not the expected " + o->sha256 +
                                               " (nothing was written)");
    }
    const ModelInfo info = import_keras(o->file, o->out, o->preprocess);
    std::printf("imported %s (sha256 %s) as seed-cnn, preprocessing %s -> %s\n", o->file.c_str(),
                info.extra["import"]["source"]["sha256"].get<std::string>().c_str(),
                o->preprocess.c_str(), o->out.c_str());
    if (o->preprocess == "seed-served") {
      std::fprintf(stderr,
                   "skinscan: warning: seed-served reproduces the seed app's bug (BGR, raw "
                   "0-255); use it to compare, never to screen\n");
    }
    std::printf("uncalibrated: run skinscan calibrate --model %s --data DIR --split split.json\n",
                o->out.c_str());
  });
}

namespace {

struct CalibrateOptions {
  std::string model, data, split;
  double min_mel_recall = 0.70;
  double percentile = 0.99;
  bool recalibrate = false;
};

void print_scores(const nlohmann::ordered_json& metrics) {
  for (const char* part : {"validation", "test"}) {
    if (!metrics.contains(part)) continue;
    const auto& m = metrics[part];
    std::printf("%s: accuracy %.4f, balanced accuracy %.4f, melanoma recall %.4f\n", part,
                m["accuracy"].get<double>(), m["balanced_accuracy"].get<double>(),
                m["per_class"]["mel"]["recall"].get<double>());
  }
}

// `calibrate --recalibrate`: a SkinScan-trained model (one net or an ensemble) makes its
// validation-only choices again (after a change of the rules that make them), on the very
// split it was trained on, so no row it was trained on is used for them. The training prior
// it adds back is its own; weights, training record and detector (which reads features, not
// probabilities) are kept. The prior search starts at the balanced operating point of the
// sampler its record names (training.balance), as training's own search did.
void recalibrate_trained(const Classifier& model, ModelInfo info, const Dataset& ds,
                         const Split& split, const CalibrateOptions& o) {
  const std::string trained_on =
      info.extra.value("data", nlohmann::ordered_json::object()).value("split_fingerprint", "");
  if (trained_on != split.fingerprint()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "--recalibrate: " + o.model + " was trained on split " + trained_on +
                              ", not on " + o.split + " (" + split.fingerprint() +
                              "); its choices may only use that split's validation rows");
  }
  // The prior search starts where training started it: at the balanced operating point of
  // the net's sampler (an ensemble, whose record names no sampler, at 0 as `ensemble` does).
  double lowest = 0.0;
  if (info.extra["training"].contains("balance")) {
    const auto& name = info.extra["training"]["balance"];
    const std::optional<Balance> balance =
        name.is_string() ? balance_from_name(name.get<std::string>()) : std::nullopt;
    if (!balance) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "--recalibrate: " + o.model +
                                "/model.json names an unknown training.balance " + name.dump());
    }
    lowest = balanced_prior_adjustment(*balance);
  }
  info.calibration.prior_adjustment = 0;
  info.calibration.temperature = 1;
  const LabelledImages val = load_part(ds, split.indices(Part::kVal), info.input, true);
  const LabelledImages test = load_part(ds, split.indices(Part::kTest), info.input, true);
  const Finalized fin = calibrate_and_score(model.net(), info, val, test, o.min_mel_recall, lowest);
  auto& training = info.extra["training"];
  training["min_mel_recall"] = o.min_mel_recall;
  training["prior_choice_on_validation"] = prior_choice_json(fin.prior);
  training["recalibrated"] = true;
  info.extra["metrics"] = fin.metrics;
  save_model_info(o.model, info);
  std::printf("recalibrated %s: prior adjustment %.2f, temperature %.3f\n", o.model.c_str(),
              info.calibration.prior_adjustment, info.calibration.temperature);
  print_scores(fin.metrics);
}

}  // namespace

void add_calibrate_command(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Fit an imported model's calibration (prior adjustment, temperature) and not-a-lesion "
      "detector on a split's validation part; scores validation and test");
  cmd->add_option("--model", o->model, "Model directory (updated in place)")->required();
  cmd->add_option("--data", o->data, "Dataset directory or hmnist CSV")->required();
  cmd->add_option("--split", o->split, "Split file: validation fits, test is scored")->required();
  cmd->add_option("--min-mel-recall", o->min_mel_recall,
                  "Melanoma recall floor when choosing the prior adjustment on validation")
      ->capture_default_str();
  cmd->add_option("--percentile", o->percentile, "Share of validation lesions the detector accepts")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 1.0));
  cmd->add_flag("--recalibrate", o->recalibrate,
                "A SkinScan-trained model: make its validation-only choices (prior adjustment, "
                "temperature, operating point) again with today's rules, on the split it was "
                "trained on; weights, training record and detector are kept");
  cmd->callback([o] {
    const Classifier model = Classifier::load(o->model);
    const Dataset ds = open_dataset(o->data);
    const Split split = align_split(load_split(o->split), ds);
    ModelInfo info = model.info();
    if (info.extra.contains("training")) {
      if (!o->recalibrate) {
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                              o->model +
                                  " was trained by SkinScan, which calibrated it on its own "
                                  "validation split; calibrate is for imported models "
                                  "(--recalibrate redoes a trained model's choices)");
      }
      recalibrate_trained(model, info, ds, split, *o);
      return;
    }
    if (o->recalibrate) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "--recalibrate is for SkinScan-trained models; " + o->model +
                                " was imported (calibrate it without --recalibrate)");
    }
    // The class prior the prior adjustment can add back: the split's training frequencies,
    // as skinscan train records them.
    std::array<int, kNumClasses> counts{};
    const auto train_idx = split.indices(Part::kTrain);
    for (std::size_t i : train_idx) ++counts[static_cast<std::size_t>(ds.samples[i].dx)];
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      info.calibration.log_prior[c] =
          std::log((counts[c] + 1.0) / (static_cast<double>(train_idx.size()) + kNumClasses));
    }
    info.calibration.prior_adjustment = 0;
    info.calibration.temperature = 1;
    const LabelledImages val = load_part(ds, split.indices(Part::kVal), info.input, true);
    const LabelledImages test = load_part(ds, split.indices(Part::kTest), info.input, true);
    if (val.labels.empty())
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "the split needs validation images");
    const Finalized fin = calibrate_and_score(model.net(), info, val, test, o->min_mel_recall);
    info.extra["data"] = {
        {"role", "calibration and scoring only: this model was trained elsewhere"},
        {"dataset_fingerprint", ds.fingerprint()},
        {"split_fingerprint", split.fingerprint()},
        {"split_source", split.source},
        {"val_images", val.labels.size()},
        {"test_images", test.labels.size()},
        {"train_class_counts", counts}};
    info.extra["calibration_fit"] = {{"min_mel_recall", o->min_mel_recall},
                                     {"prior_choice_on_validation", prior_choice_json(fin.prior)}};
    info.extra["metrics"] = fin.metrics;
    info.extra.erase("lesion_detector");  // refitted below, for this split
    save_model_info(o->model, info);
    const auto detector = fit_detector(o->model, ds, split, o->percentile);
    std::printf(
        "calibrated %s: prior adjustment %.2f, temperature %.3f; detector threshold %.1f "
        "(validation false rejection %.3f)\n",
        o->model.c_str(), info.calibration.prior_adjustment, info.calibration.temperature,
        detector["threshold"].get<double>(), detector["val_false_rejection"].get<double>());
    print_scores(fin.metrics);
  });
}

}  // namespace skinscan::cli
