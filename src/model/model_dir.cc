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

nlohmann::ordered_json model_info_json(const ModelInfo& m) {
  using json = nlohmann::ordered_json;
  json j;
  j["format"] = kModelFormat;
  j["name"] = m.name;
  j["version"] = m.version;
  j["arch"] = m.arch;
  j["about"] = arch_info(m.arch).about;
  json classes = json::array();
  for (const auto& c : kClasses) {
    classes.push_back({{"code", c.code}, {"name", c.name}, {"malignant", c.malignant}});
  }
  j["classes"] = classes;
  j["preprocessing"] = {
      {"recipe", recipe_name(m.input.recipe)},
      {"channels", m.input.bgr ? "BGR" : "RGB"},
      {"resize", "INTER_AREA (shrinking) to input width x height, aspect not kept"},
      {"width", m.input.width},
      {"height", m.input.height},
      {"colour_constancy", colour_constancy_name(m.input.colour)},
      {"scale", "x / 255"},
      {"mean", m.input.mean},
      {"std", m.input.std}};
  j["calibration"] = {{"method", "temperature scaling on the validation split"},
                      {"temperature", m.calibration.temperature},
                      {"prior_adjustment", m.calibration.prior_adjustment},
                      {"log_prior", m.calibration.log_prior}};
  j["decision"] = {{"threshold", m.threshold}, {"refer_malignancy_risk", m.refer_threshold}};
  if (m.arch == "ensemble") {
    json members = json::array();
    for (const auto& mi : m.members) {
      members.push_back({{"arch", mi.arch},
                         {"version", mi.version},
                         {"temperature", mi.calibration.temperature},
                         {"prior_adjustment", mi.calibration.prior_adjustment},
                         {"log_prior", mi.calibration.log_prior}});
    }
    j["ensemble"] = {{"combine",
                      "mean of the members' calibrated probabilities softmax((logits + "
                      "prior_adjustment * log_prior) / temperature); the model's own calibration "
                      "then applies to the log of that mean"},
                     {"members", members}};
  }
  j["weights"] = kWeightsFile;
  for (const auto& [k, v] : m.extra.items()) j[k] = v;
  return j;
}

ModelInfo model_info_from_json(const nlohmann::json& j, const std::string& where) {
  ModelInfo m;
  try {
    if (j.at("format").get<int>() != kModelFormat) {
      throw ModelError(where + ": model format " + j.at("format").dump() + " is not supported");
    }
    m.name = j.at("name").get<std::string>();
    m.version = j.at("version").get<std::string>();
    m.arch = j.at("arch").get<std::string>();
    try {
      arch_info(m.arch);
    } catch (const Error& e) {
      throw ModelError(where + ": " + e.what());
    }
    const auto& cls = j.at("classes");
    if (cls.size() != kNumClasses) throw ModelError(where + ": expected 7 classes");
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      if (cls[c].at("code").get<std::string>() != kClasses[c].code) {
        throw ModelError(where + ": class order differs from SkinScan's (" +
                         cls[c].at("code").get<std::string>() + " at position " +
                         std::to_string(c) + ")");
      }
    }
    const auto& p = j.at("preprocessing");
    const std::string channels = p.at("channels").get<std::string>();
    if (channels != "RGB" && channels != "BGR")
      throw ModelError(where + ": input channels must be RGB or BGR, not " + channels);
    m.input.bgr = channels == "BGR";
    try {
      m.input.recipe = recipe_from_name(p.value("recipe", "skinscan"));
      // Absent in models written before colour constancy existed: none.
      m.input.colour = colour_constancy_from_name(p.value("colour_constancy", "none"));
    } catch (const Error& e) {
      throw ModelError(where + ": " + e.what());
    }
    m.input.width = p.at("width").get<int>();
    m.input.height = p.at("height").get<int>();
    m.input.mean = p.at("mean").get<std::array<float, 3>>();
    m.input.std = p.at("std").get<std::array<float, 3>>();
    if (m.input.width < 8 || m.input.height < 8 || m.input.width > 1024 || m.input.height > 1024) {
      throw ModelError(where + ": input size out of range");
    }
    const auto& c = j.at("calibration");
    m.calibration.temperature = c.at("temperature").get<double>();
    m.calibration.prior_adjustment = c.at("prior_adjustment").get<double>();
    m.calibration.log_prior = c.at("log_prior").get<std::array<double, kNumClasses>>();
    if (!(m.calibration.temperature > 0)) throw ModelError(where + ": temperature must be > 0");
    m.threshold = j.at("decision").at("threshold").get<double>();
    m.refer_threshold = j.at("decision").at("refer_malignancy_risk").get<double>();
    if (m.arch == "ensemble") {
      const auto& members = j.at("ensemble").at("members");
      if (!members.is_array() || members.empty())
        throw ModelError(where + ": an ensemble needs at least one member");
      for (const auto& e : members) {
        MemberInfo mi;
        mi.arch = e.at("arch").get<std::string>();
        mi.version = e.value("version", "");
        if (mi.arch == "ensemble" || mi.arch == "backbone")
          throw ModelError(where + ": ensemble members cannot be of arch " + mi.arch);
        try {
          arch_info(mi.arch);
        } catch (const Error& err) {
          throw ModelError(where + ": ensemble member: " + err.what());
        }
        mi.calibration.temperature = e.at("temperature").get<double>();
        mi.calibration.prior_adjustment = e.at("prior_adjustment").get<double>();
        mi.calibration.log_prior = e.at("log_prior").get<std::array<double, kNumClasses>>();
        if (!(mi.calibration.temperature > 0))
          throw ModelError(where + ": ensemble member temperature must be > 0");
        m.members.push_back(mi);
      }
    }
    for (const auto& [k, v] : j.items()) {
      static const std::vector<std::string> known = {
          "format",        "name",        "version",  "arch",    "about",   "classes",
          "preprocessing", "calibration", "decision", "weights", "ensemble"};
      if (std::find(known.begin(), known.end(), k) == known.end()) m.extra[k] = v;
    }
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(where + ": malformed model.json: " + e.what());
  }
  return m;
}

ModelInfo load_model_info(const std::string& dir) {
  const fs::path path = fs::path(dir) / kModelJson;
  if (!fs::is_directory(dir)) throw ModelError("model directory not found: " + dir);
  std::ifstream f(path);
  if (!f) throw ModelError("no " + std::string(kModelJson) + " in model directory " + dir);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path.string() + ": not valid JSON (truncated?): " + e.what());
  }
  return model_info_from_json(j, path.string());
}

void save_model(const std::string& dir, const ModelInfo& info, const Net& net) {
  fs::create_directories(dir);
  const fs::path tmp_w = fs::path(dir) / (std::string(kWeightsFile) + ".tmp");
  const fs::path tmp_j = fs::path(dir) / (std::string(kModelJson) + ".tmp");
  torch::serialize::OutputArchive archive;
  net->save(archive);
  archive.save_to(tmp_w.string());
  save_backbone(net, (fs::path(dir) / kBackboneFile).string());
  {
    std::ofstream f(tmp_j);
    f << model_info_json(info).dump(2) << "\n";
    if (!f) throw ModelError("cannot write " + tmp_j.string());
  }
  fs::rename(tmp_w, fs::path(dir) / kWeightsFile);  // rename: never a half-written model
  fs::rename(tmp_j, fs::path(dir) / kModelJson);
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
