#include "web/server_config.h"

#include <charconv>
#include <stdexcept>

#include "web/validation.h"

namespace skinscan::web {
namespace {

int parse_int(const std::string& key, const std::string& v, int lo, int hi) {
  int out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi) {
    throw std::invalid_argument(key + " must be an integer from " + std::to_string(lo) + " to " +
                                std::to_string(hi) + ", got \"" + v + "\"");
  }
  return out;
}

}  // namespace

ServerConfig resolve_server_config(const Settings& s, const ServerFlags& f,
                                   const std::string& default_model,
                                   const std::string& default_web_root) {
  ServerConfig c;
  c.model = default_model;
  c.web_root = default_web_root;
  if (auto v = s.pick(f.host, "SKINSCAN_HOST")) c.host = *v;
  if (auto v = s.pick(f.port, "SKINSCAN_PORT")) c.port = parse_int("SKINSCAN_PORT", *v, 0, 65535);
  if (auto v = s.pick(f.db, "SKINSCAN_DB")) c.db = *v;
  if (auto v = s.pick(f.data_dir, "SKINSCAN_DATA_DIR")) c.data_dir = *v;
  if (auto v = s.pick(f.model, "SKINSCAN_MODEL")) c.model = *v;
  if (auto v = s.pick(f.web_root, "SKINSCAN_WEB_ROOT")) c.web_root = *v;
  if (auto v = s.get("SKINSCAN_API_TOKEN")) c.api_token = *v;
  if (auto v = s.pick(f.region, "SKINSCAN_DEFAULT_REGION")) c.default_region = *v;
  if (auto v = s.pick(f.rate_limit, "SKINSCAN_RATE_LIMIT")) {
    c.rate_limit = parse_int("SKINSCAN_RATE_LIMIT", *v, 0, 1000000);
  }
  if (auto v = s.pick(f.threads, "SKINSCAN_THREADS")) {
    c.threads = parse_int("SKINSCAN_THREADS", *v, 0, 1024);
  }
  if (auto v = s.pick(f.public_url, "SKINSCAN_PUBLIC_URL")) {
    c.public_url = *v;
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  }
  if (!is_known_region(c.default_region)) {
    throw std::invalid_argument(
        "SKINSCAN_DEFAULT_REGION must be a two-letter region code such "
        "as US or GB, got \"" +
        c.default_region + "\"");
  }
  if (c.host.empty()) throw std::invalid_argument("SKINSCAN_HOST must not be empty");
  return c;
}

}  // namespace skinscan::web
