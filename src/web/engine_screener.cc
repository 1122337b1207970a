#include "web/engine_screener.h"

#include <algorithm>

#include <ATen/Parallel.h>
#include <opencv2/imgproc.hpp>

#include "model/model_info.h"
#include "screen/engine.h"

namespace skinscan::web {

std::shared_ptr<const EngineScreener> EngineScreener::load(const std::string& model_dir,
                                                           int intra_op_threads) {
  if (intra_op_threads > 0) at::set_num_threads(intra_op_threads);
  return std::make_shared<const EngineScreener>(Engine::load(model_dir));
}

EngineScreener::EngineScreener(std::shared_ptr<const Engine> engine)
    : engine_(std::move(engine)),
      model_json_(nlohmann::json::parse(model_info_json(engine_->info()).dump())) {}

ScreenResult EngineScreener::screen(std::span<const std::uint8_t> bytes) const {
  const Screening s = engine_->screen(bytes);
  ScreenResult r;
  r.finding = s.finding;
  r.words = decision_words(s.finding);
  r.format = s.format;
  r.width = s.width;
  r.height = s.height;
  r.json = engine_->to_json(s);
  return r;
}

std::vector<std::uint8_t> EngineScreener::heatmap_png(std::span<const std::uint8_t> bytes,
                                                      ClassId cls) const {
  cv::Mat rgb = engine_->decode(bytes);
  const int longer = std::max(rgb.cols, rgb.rows);
  if (longer > 1024) {
    const double f = 1024.0 / longer;
    cv::Mat small;
    cv::resize(rgb, small, cv::Size(), f, f, cv::INTER_AREA);
    rgb = small;
  }
  return encode_png(engine_->heatmap(rgb, cls));
}

std::string EngineScreener::model_version() const {
  return engine_->info().name + " " + engine_->info().version;
}

}  // namespace skinscan::web
