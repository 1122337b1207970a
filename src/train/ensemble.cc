#include "train/ensemble.h"

#include <chrono>
#include <filesystem>

#include "data/error.h"
#include "model/classifier_torch.h"
#include "train/finalize.h"

namespace fs = std::filesystem;

namespace skinscan {

namespace {

bool same_input(const InputSpec& a, const InputSpec& b) { return a == b; }

nlohmann::ordered_json headline(const nlohmann::ordered_json& metrics, const char* part) {
  if (!metrics.contains(part) || !metrics[part].is_object()) return nullptr;
  const auto& m = metrics[part];
  // A member's model.json is input: a score it lacks is recorded as null, never an error.
  const auto score = [&m](const char* pointer) {
    const nlohmann::ordered_json::json_pointer p(pointer);
    return m.contains(p) ? m[p] : nlohmann::ordered_json();
  };
  return {{"accuracy", score("/accuracy")},
          {"balanced_accuracy", score("/balanced_accuracy")},
          {"melanoma_recall", score("/per_class/mel/recall")},
          {"auc_macro", score("/auc_ovr/macro")}};
}

}  // namespace

Classifier build_ensemble(const Dataset& ds, const Split& split, const EnsembleOptions& o,
                          const std::string& out_dir) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (o.members.size() < 2)
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "an ensemble needs at least two member model directories");
  for (const auto& dir : o.members) {
    std::error_code ec;
    if (fs::equivalent(dir, out_dir, ec))
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            out_dir + " is one of the members: choose another --out");
  }
  std::vector<Classifier> loaded;
  for (const auto& dir : o.members) {
    Classifier c = Classifier::load(dir);
    const ModelInfo& mi = c.info();
    if (mi.arch == "ensemble" || mi.arch == "backbone")
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            dir + ": ensemble members cannot be of arch " + mi.arch);
    const auto& data = mi.extra.contains("data") ? mi.extra["data"] : nlohmann::ordered_json{};
    if (data.value("dataset_fingerprint", "") != ds.fingerprint() ||
        data.value("split_fingerprint", "") != split.fingerprint()) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            dir + ": trained on dataset " + data.value("dataset_fingerprint", "?") +
                                " / split " + data.value("split_fingerprint", "?") +
                                ", not on this dataset " + ds.fingerprint() + " / split " +
                                split.fingerprint() +
                                " (members must share the split they are judged on)");
    }
    if (!loaded.empty() && !same_input(mi.input, loaded.front().info().input)) {
      throw skinscan::Error(
          skinscan::ErrorCode::kInvalidArgument,
          dir + ": input size or normalisation differs from " + o.members.front() + "'s");
    }
    loaded.push_back(std::move(c));
  }

  ModelInfo info;
  info.arch = "ensemble";
  info.name = "skinscan-ensemble";
  info.version = o.version.empty() ? utc_date() + "-ensemble" : o.version;
  info.input = loaded.front().info().input;
  info.calibration.log_prior = loaded.front().info().calibration.log_prior;
  info.threshold = loaded.front().info().threshold;
  info.refer_threshold = loaded.front().info().refer_threshold;
  std::vector<EnsembleMember> nets;
  for (const auto& c : loaded) {
    const Calibration& cal = c.info().calibration;
    info.members.push_back({c.info().arch, c.info().version, cal});
    nets.push_back(ensemble_member(c.net(), cal));
  }
  const Net net = make_ensemble(std::move(nets));
  net->eval();

  const LabelledImages val = load_part(ds, split.indices(Part::kVal), info.input, o.progress);
  const LabelledImages test = load_part(ds, split.indices(Part::kTest), info.input, o.progress);
  if (val.labels.empty())
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "the split needs validation images");
  const Finalized fin = calibrate_and_score(net, info, val, test, o.min_mel_recall);

  nlohmann::ordered_json members = nlohmann::ordered_json::array();
  double member_seconds = 0;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const ModelInfo& mi = loaded[i].info();
    const auto tr = mi.extra.value("training", nlohmann::ordered_json::object());
    member_seconds += tr.value("wall_seconds", 0.0);
    const auto metrics = mi.extra.value("metrics", nlohmann::ordered_json::object());
    members.push_back({{"arch", mi.arch},
                       {"version", mi.version},
                       {"training", tr},
                       {"validation", headline(metrics, "validation")},
                       {"test", headline(metrics, "test")}});
  }
  const double own =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  info.extra["training"] = {{"method", "ensemble: mean of the members' calibrated probabilities"},
                            {"members", members},
                            {"min_mel_recall", o.min_mel_recall},
                            {"prior_choice_on_validation", prior_choice_json(fin.prior)},
                            {"ensemble_seconds", own},
                            {"wall_seconds", member_seconds + own},
                            {"device", "cpu"}};
  info.extra["data"] = loaded.front().info().extra["data"];
  info.extra["metrics"] = fin.metrics;
  save_model(out_dir, info, net);
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const fs::path dst =
        fs::path(out_dir) / "members" / (std::to_string(i) + "-" + loaded[i].info().arch);
    fs::create_directories(dst);
    for (const char* f : {"history.json", "training_curves.png", "training_curves.svg"}) {
      const fs::path src = fs::path(o.members[i]) / f;
      if (fs::exists(src)) fs::copy_file(src, dst / f, fs::copy_options::overwrite_existing);
    }
  }
  return Classifier(info, net);
}

}  // namespace skinscan
