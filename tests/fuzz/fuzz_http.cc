// libFuzzer harness: raw bytes of one client connection into the real server (edge rules,
// routing, multipart parsing, validation, the upload path and the SQLite store), with no
// socket. Invariants: no crash; no desync -- once the server has answered with an error,
// nothing more is answered on that connection; nothing is answered 5xx.
//
// The model is not what is fuzzed here: the harness's screener decodes the upload with the
// product's decoder (data/image.h) and applies THE decision rule to probabilities derived
// from the decoded pixels, so every byte path up to the model input is the product's own.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "data/image.h"
#include "store/store.h"
#include "web/server.h"

namespace {

// Scratch files on tmpfs when there is one: the store fsyncs every commit, which on a disk
// would make fsync, not the code under test, the cost of each input.
std::filesystem::path scratch_root() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

namespace fs = std::filesystem;

class PixelScreener final : public skinscan::web::Screener {
 public:
  skinscan::web::ScreenResult screen(std::span<const std::uint8_t> bytes) const override {
    skinscan::ImageLimits limits;
    limits.max_pixels = 4'000'000;
    limits.min_long_side = 96;
    limits.min_short_side = 72;
    skinscan::ImageHeader h;
    const cv::Mat rgb = skinscan::decode_rgb(bytes, limits, 192, &h);
    const cv::Scalar m = cv::mean(rgb);
    skinscan::ClassProbs p{};
    const double total = m[0] + m[1] + m[2] + 7;
    for (std::size_t c = 0; c < p.size(); ++c) p[c] = (c < 3 ? m[c] + 1 : 1) / total;
    skinscan::web::ScreenResult r;
    r.finding = skinscan::decide(p, {});
    r.words = skinscan::decision_words(r.finding);
    r.format = skinscan::format_name(h.format);
    r.width = h.display_width();
    r.height = h.display_height();
    r.json = {{"decision", skinscan::decision_code(r.finding.decision)}};
    return r;
  }
  std::vector<std::uint8_t> heatmap_png(std::span<const std::uint8_t> bytes,
                                        skinscan::ClassId) const override {
    return skinscan::encode_png(skinscan::decode_rgb(bytes));
  }
  const nlohmann::json& model_json() const override { return model_; }
  std::string model_version() const override { return "fuzz 1"; }

 private:
  nlohmann::json model_ = {{"name", "fuzz"}};
};

skinscan::web::Server& server() {
  static const fs::path dir = [] {
    auto d = scratch_root() / ("skinscan-fuzz-http-" + std::to_string(::getpid()));
    fs::create_directories(d / "web" / "pages");
    fs::create_directories(d / "web" / "static");
    return d;
  }();
  static std::unique_ptr<skinscan::web::Server> s = [] {
    skinscan::web::ServerConfig cfg;
    cfg.port = 0;
    cfg.db = (dir / "fuzz.db").string();
    cfg.data_dir = (dir / "data").string();
    cfg.web_root = (dir / "web").string();
    cfg.rate_limit = 0;
    std::shared_ptr<skinscan::store::Store> st = skinscan::store::open_store(cfg.db);
    return std::make_unique<skinscan::web::Server>(cfg, std::make_shared<PixelScreener>(), st,
                                                   skinscan::notify::TwilioConfig{});
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string out = server().serve_bytes({reinterpret_cast<const char*>(data), size});
  bool error_seen = false;
  for (std::size_t at = out.find("HTTP/1.1 "); at != std::string::npos;
       at = out.find("HTTP/1.1 ", at + 1)) {
    if (at != 0 && out.compare(at - 2, 2, "\r\n") != 0) continue;  // inside a body
    if (error_seen) __builtin_trap();                              // answered after an error
    const char digit = at + 9 < out.size() ? out[at + 9] : '0';
    if (digit == '5') __builtin_trap();
    error_seen = digit == '4';
  }
  return 0;
}
