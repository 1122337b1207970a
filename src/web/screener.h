// What the web app needs from the screening engine, without LibTorch in web code.
// web/engine_screener.{h,cc} adapts screen/Engine to it (the only web file that sees the
// engine); tests and the `serve` command use that adapter with a real model.
//
// Contract: screen() returns a complete result or throws skinscan::ImageError (bad upload,
// with a stable code: empty, too_large, unsupported, truncated, corrupt). Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "screen/decision.h"

namespace skinscan::web {

struct ScreenResult {
  Finding finding;              // THE decision rule's output
  std::string words;            // decision_words(finding)
  std::string format;           // jpeg | png | webp (sniffed from content)
  int width = 0, height = 0;    // of the upload
  nlohmann::ordered_json json;  // the engine's fields, as `skinscan predict` prints them
};

class Screener {
 public:
  virtual ~Screener() = default;
  virtual ScreenResult screen(std::span<const std::uint8_t> bytes) const = 0;
  // Grad-CAM overlay of the upload for class `cls`, PNG-encoded, the upload's size
  // (downscaled so the longer side is at most 1024).
  virtual std::vector<std::uint8_t> heatmap_png(std::span<const std::uint8_t> bytes,
                                                ClassId cls) const = 0;
  // model.json of the loaded model (for the model card) and "name version".
  virtual const nlohmann::json& model_json() const = 0;
  virtual std::string model_version() const = 0;
};

}  // namespace skinscan::web
