// Writes member K of an ensemble model directory back out as a model directory of its own
// (issue 13's ablations; never on the product path, never run by CTest), so that a new
// ensemble can pair an already trained member with a new one without retraining it. The
// member's network is the loaded ensemble's submodule "m<K>" (its weights.pt "m<K>.*"); its
// model.json gets the member's architecture, version and calibration from the ensemble's
// "ensemble" list, its training options and scores from "training"/"members"[K], the
// ensemble's input spec, decision thresholds and "data" section; its history.json comes from
// members/<K>-<arch>/.
//   build/ensemble_member ENSEMBLE_DIR K OUT
//   e.g. build/ensemble_member models/default 1 /work/ref/resnet-m
// Refuses (exit 2, nothing written) an index out of range, a model that is not an ensemble
// or an OUT that exists.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "model/model_dir.h"
#include "model/model_info.h"
#include "model/nets.h"

namespace {

using namespace skinscan;
namespace fs = std::filesystem;

int run(const std::string& ensemble_dir, int k, const std::string& out_dir) {
  const ModelInfo ens = load_model_info(ensemble_dir);
  if (ens.arch != "ensemble" || k < 0 || k >= static_cast<int>(ens.members.size())) {
    std::fprintf(stderr, "ensemble_member: %s is not an ensemble with a member %d\n",
                 ensemble_dir.c_str(), k);
    return 2;
  }
  if (fs::exists(out_dir)) {
    std::fprintf(stderr, "ensemble_member: %s exists\n", out_dir.c_str());
    return 2;
  }
  const Net whole = load_weights(ensemble_dir, ens);
  const MemberInfo& m = ens.members[static_cast<std::size_t>(k)];
  ModelInfo info;
  info.name = ens.name;
  info.version = m.version;
  info.arch = m.arch;
  info.input = ens.input;
  info.calibration = m.calibration;
  info.threshold = ens.threshold;
  info.refer_threshold = ens.refer_threshold;
  // The loaded ensemble registers member K as its submodule "m<K>" (model/nets.cc).
  const Net member =
      std::dynamic_pointer_cast<NetImpl>(whole->named_children()["m" + std::to_string(k)]);
  if (!member) throw ModelError("the ensemble has no member network m" + std::to_string(k));

  const nlohmann::ordered_json& recorded =
      ens.extra.at("training").at("members").at(static_cast<std::size_t>(k));
  info.extra["training"] = recorded.at("training");
  info.extra["data"] = ens.extra.at("data");
  // The ensemble keeps only each member's headline scores; they go back in the shape a
  // trained model's "metrics" has, so `skinscan ensemble` records them again.
  const auto scores = [](const nlohmann::ordered_json& h) -> nlohmann::ordered_json {
    if (!h.is_object()) return nullptr;
    return {{"accuracy", h.value("accuracy", nlohmann::ordered_json())},
            {"balanced_accuracy", h.value("balanced_accuracy", nlohmann::ordered_json())},
            {"per_class",
             {{"mel", {{"recall", h.value("melanoma_recall", nlohmann::ordered_json())}}}}},
            {"auc_ovr", {{"macro", h.value("auc_macro", nlohmann::ordered_json())}}}};
  };
  info.extra["metrics"] = {{"validation", scores(recorded.at("validation"))},
                           {"test", scores(recorded.at("test"))}};
  save_model(out_dir, info, member);
  const fs::path curves = fs::path(ensemble_dir) / "members" / (std::to_string(k) + "-" + m.arch);
  for (const char* f : {"history.json", "training_curves.png", "training_curves.svg"}) {
    if (fs::exists(curves / f)) fs::copy_file(curves / f, fs::path(out_dir) / f);
  }
  std::printf("member %d (%s, %s) written to %s\n", k, m.arch.c_str(), m.version.c_str(),
              out_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ensemble_member ENSEMBLE_DIR K OUT\n");
    return 2;
  }
  try {
    return run(argv[1], std::stoi(argv[2]), argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ensemble_member: %s\n", e.what());
    return 1;
  }
}
