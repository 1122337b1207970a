#include "web/http_reply.h"

#include <openssl/crypto.h>

#include "web/api_json.h"

namespace skinscan::web {

void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field) {
  send_json(res, status, error_body({{code, message, field}}));
}

int http_status_for(const std::string& code) {
  static const std::map<std::string, int> kStatus = {
      {"too_large", 413},         {"unsupported", 415},  {"unsupported_media_type", 415},
      {"not_found", 404},         {"unauthorized", 401}, {"csrf", 403},
      {"forbidden", 403},         {"rate_limited", 429}, {"unavailable", 503},
      {"not_ready", 503},         {"internal", 500},     {"bad_request", 400},
      {"method_not_allowed", 405}};
  const auto it = kStatus.find(code);
  return it == kStatus.end() ? 422 : it->second;
}

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kStore:
    case ErrorCode::kModel:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInvalidArgument:
      return 400;
    default:
      return http_status_for(std::string(error_code_name(code)));
  }
}

std::map<std::string, std::string> parse_cookies(const httplib::Request& req) {
  std::map<std::string, std::string> out;
  const std::size_t n = req.get_header_value_count("Cookie");
  for (std::size_t k = 0; k < n; ++k) {
    const std::string h = req.get_header_value("Cookie", k);
    std::size_t start = 0;
    while (start < h.size()) {
      std::size_t end = h.find(';', start);
      if (end == std::string::npos) end = h.size();
      std::string part = h.substr(start, end - start);
      start = end + 1;
      const auto b = part.find_first_not_of(' ');
      if (b == std::string::npos) continue;
      part = part.substr(b);
      const auto eq = part.find('=');
      if (eq == std::string::npos) continue;
      out.emplace(part.substr(0, eq), part.substr(eq + 1));
    }
  }
  return out;
}

bool equal_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace skinscan::web
