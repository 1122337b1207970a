#include "model/model_dir.h"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace skinscan {

EnsembleMember ensemble_member(Net net, const Calibration& c) {
  EnsembleMember e{std::move(net), c.temperature, {}};
  for (std::size_t k = 0; k < kNumClasses; ++k)
    e.offset[k] = static_cast<float>(c.prior_adjustment * c.log_prior[k]);
  return e;
}

void save_model(const std::string& dir, const ModelInfo& info, const Net& net) {
  fs::create_directories(dir);
  const fs::path tmp_w = fs::path(dir) / (std::string(kWeightsFile) + ".tmp");
  torch::serialize::OutputArchive archive;
  net->save(archive);
  archive.save_to(tmp_w.string());
  // weights.pt (and a backbone's backbone.pt) are written in full to .tmp files first, then
  // model.json is replaced whole, then the .tmp files are renamed: a failure while writing
  // leaves the old model as it was (and no .tmp behind).
  const fs::path tmp_b = fs::path(dir) / (std::string(kBackboneFile) + ".tmp");
  std::error_code ignored;
  fs::remove(tmp_b, ignored);
  try {
    try {
      save_backbone(net, tmp_b.string());  // no file for other architectures
    } catch (const c10::Error& e) {
      throw ModelError(tmp_b.string() + ": cannot write the backbone: " +
                       std::string(e.what_without_backtrace()).substr(0, 300));
    }
    save_model_info(dir, info);
  } catch (const ModelError&) {
    fs::remove(tmp_w, ignored);
    fs::remove(tmp_b, ignored);
    throw;
  }
  if (fs::exists(tmp_b)) fs::rename(tmp_b, fs::path(dir) / kBackboneFile);
  fs::rename(tmp_w, fs::path(dir) / kWeightsFile);
}

Net load_weights(const std::string& dir, const ModelInfo& info) {
  const fs::path path = fs::path(dir) / kWeightsFile;
  if (!fs::exists(path)) throw ModelError("no " + std::string(kWeightsFile) + " in " + dir);
  Net net;
  try {
    if (info.arch == "ensemble") {
      std::vector<EnsembleMember> members;
      for (const auto& mi : info.members)
        members.push_back(ensemble_member(make_net(mi.arch, info.input), mi.calibration));
      net = make_ensemble(std::move(members));
    } else {
      net = make_net(info.arch, info.input,
                     info.arch == "backbone" ? (fs::path(dir) / kBackboneFile).string() : "");
    }
  } catch (const Error& e) {
    throw ModelError(e.what());
  }
  // Module::load replaces tensors without checking shapes: remember the expected ones.
  std::vector<std::pair<std::string, std::vector<long>>> expected;
  for (const auto& p : net->named_parameters())
    expected.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : net->named_buffers())
    expected.emplace_back(b.key(), b.value().sizes().vec());
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    net->load(archive);
    std::size_t k = 0;
    auto check = [&](const std::string& name, const torch::Tensor& t) {
      if (expected[k].first != name || t.sizes().vec() != expected[k].second) {
        throw ModelError(path.string() + ": weights do not match " + info.arch + " (tensor " +
                         name + " has shape " + c10::str(t.sizes()) + ")");
      }
      ++k;
    };
    for (const auto& p : net->named_parameters()) check(p.key(), p.value());
    for (const auto& b : net->named_buffers()) check(b.key(), b.value());
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    throw ModelError(path.string() + ": weights are truncated, corrupt or do not match " +
                     info.arch + ": " + msg.substr(0, 300));
  }
  net->eval();
  return net;
}

}  // namespace skinscan
