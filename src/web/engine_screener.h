// The adapter from the screening engine (LibTorch) to the web app's Screener interface.
// The only web header whose implementation sees screen/engine.h; it is kept in its own
// library (skinscan_web_engine) so the server library stays torch-free.
#pragma once

#include <memory>
#include <string>

#include "web/screener.h"

namespace skinscan {
class Engine;
}

namespace skinscan::web {

class EngineScreener final : public Screener {
 public:
  // Loads the model directory once (throws ModelError). `intra_op_threads` > 0 sets
  // LibTorch's per-operation thread count (the server runs requests in parallel instead).
  static std::shared_ptr<const EngineScreener> load(const std::string& model_dir,
                                                    int intra_op_threads = 1);
  explicit EngineScreener(std::shared_ptr<const Engine> engine);

  ScreenResult screen(std::span<const std::uint8_t> bytes) const override;
  std::vector<std::uint8_t> heatmap_png(std::span<const std::uint8_t> bytes,
                                        ClassId cls) const override;
  const nlohmann::json& model_json() const override { return model_json_; }
  std::string model_version() const override;

 private:
  std::shared_ptr<const Engine> engine_;
  nlohmann::json model_json_;
};

}  // namespace skinscan::web
