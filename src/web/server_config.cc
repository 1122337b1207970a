#include "web/server_config.h"

#include <cctype>
#include <charconv>
#include <stdexcept>

#include "data/error.h"
#include "web/validation.h"

namespace skinscan::web {
namespace {

int parse_int(const std::string& key, const std::string& v, int lo, int hi) {
  int out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          key + " must be an integer from " + std::to_string(lo) + " to " +
                              std::to_string(hi) + ", got \"" + v + "\"");
  }
  return out;
}

std::vector<std::string> split_hosts(const std::string& v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t end = v.find(',', start);
    if (end == std::string::npos) end = v.size();
    std::string item = v.substr(start, end - start);
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    if (item == "*") {
      out.push_back(item);
    } else if (!item.empty()) {
      const std::string h = host_name_of(item);
      if (h.empty()) {
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                              "SKINSCAN_ALLOWED_HOSTS: \"" + item + "\" is not a host name");
      }
      out.push_back(h);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string host_name_of(const std::string& authority) {
  std::string a = authority;
  if (const auto scheme = a.find("://"); scheme != std::string::npos) a = a.substr(scheme + 3);
  if (const auto slash = a.find('/'); slash != std::string::npos) a.resize(slash);
  std::string host;
  if (!a.empty() && a[0] == '[') {
    const auto close = a.find(']');
    if (close == std::string::npos) return "";
    host = a.substr(1, close - 1);
    const std::string rest = a.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return "";
  } else {
    host = a.substr(0, a.find(':'));
  }
  for (char& c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '.' || c == '-' || c == ':' || c == '_')) return "";
    c = static_cast<char>(std::tolower(u));
  }
  return host;
}

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
  if (auto v = s.pick(f.allowed_hosts, "SKINSCAN_ALLOWED_HOSTS")) {
    c.allowed_hosts = split_hosts(*v);
  } else {
    c.allowed_hosts = {"localhost", "127.0.0.1", "::1"};
    const std::string bound = host_name_of(c.host);
    if (!bound.empty() && bound != "0.0.0.0" && bound != "::") c.allowed_hosts.push_back(bound);
    if (!c.public_url.empty()) {
      const std::string pub = host_name_of(c.public_url);
      if (!pub.empty()) c.allowed_hosts.push_back(pub);
    }
  }
  if (auto v = s.get("SKINSCAN_REQUEST_GRACE")) {
    c.request_grace_s = parse_int("SKINSCAN_REQUEST_GRACE", *v, 1, 300);
  }
  if (!is_known_region(c.default_region)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "SKINSCAN_DEFAULT_REGION must be a two-letter region code such "
                          "as US or GB, got \"" +
                              c.default_region + "\"");
  }
  if (c.host.empty())
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "SKINSCAN_HOST must not be empty");
  return c;
}

}  // namespace skinscan::web
