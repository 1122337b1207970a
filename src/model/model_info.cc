#include "model/model_info.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "model/arch_info.h"

namespace fs = std::filesystem;

namespace skinscan {

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
      {"field_of_view", field_of_view_name(m.input.field_of_view)},
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
      // Absent in models written before the field-of-view fill existed: as-is.
      m.input.field_of_view = field_of_view_from_name(p.value("field_of_view", "as-is"));
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

void save_model_json(const std::string& dir, const nlohmann::ordered_json& j) {
  const fs::path json_path = fs::path(dir) / kModelJson;
  const fs::path tmp = json_path.string() + ".tmp";
  {
    std::ofstream f(tmp);
    f << j.dump(2) << "\n";
    f.flush();
    if (!f) {
      std::error_code ignored;
      if (fs::is_regular_file(tmp, ignored)) fs::remove(tmp, ignored);  // ours, half-written
      throw ModelError("cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, json_path, ec);
  if (ec) throw ModelError("cannot replace " + json_path.string() + ": " + ec.message());
}

void save_model_info(const std::string& dir, const ModelInfo& info) {
  save_model_json(dir, model_info_json(info));
}

}  // namespace skinscan
