// Configuration of `skinscan serve`: a flag beats an environment variable (SKINSCAN_*),
// which beats the config file (--config FILE or $SKINSCAN_CONFIG). Every key is documented
// in docs/configuration.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "data/settings.h"

namespace skinscan::web {

inline constexpr std::size_t kMaxUploadBytes = 10u << 20;  // 10 MiB image limit

struct ServerConfig {
  std::string host = "127.0.0.1";            // SKINSCAN_HOST
  int port = 8080;                           // SKINSCAN_PORT (0: any free port)
  std::string db = "skinscan.db";            // SKINSCAN_DB
  std::string data_dir = "./skinscan-data";  // SKINSCAN_DATA_DIR (images/ below it)
  std::string model = "models/default";      // SKINSCAN_MODEL
  std::string web_root;                      // --web-root: folder holding pages/ and static/
  std::string api_token;                     // SKINSCAN_API_TOKEN (empty: no auth)
  std::string default_region = "US";         // SKINSCAN_DEFAULT_REGION for phone numbers
  int rate_limit = 60;     // SKINSCAN_RATE_LIMIT: POSTs per minute per IP (0: off)
  std::string public_url;  // SKINSCAN_PUBLIC_URL (Twilio callbacks, Origin check)
  int threads = 0;         // SKINSCAN_THREADS: inference workers (0: cores)
  std::size_t max_upload = kMaxUploadBytes;
  // SKINSCAN_ALLOWED_HOSTS: Host names this server answers for, comma-separated ("*": any).
  // Default: localhost, 127.0.0.1, ::1, the bind address unless it is a wildcard, and the
  // host of SKINSCAN_PUBLIC_URL. Other Host headers get 421 (DNS-rebinding defence).
  std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "::1"};
  double request_grace_s = 10;  // SKINSCAN_REQUEST_GRACE: s for headers + first bytes
  double request_max_s = 300;   // absolute limit for one request to arrive
};

// The host name of a Host header or URL authority, lowercase, without port or brackets
// ("Example.org:8080" -> "example.org", "[::1]:80" -> "::1"); "" when malformed.
std::string host_name_of(const std::string& authority);

// Flags as the CLI parsed them (unset: not given on the command line).
struct ServerFlags {
  std::optional<std::string> host, port, db, data_dir, model, web_root, region, rate_limit, threads,
      public_url, allowed_hosts;
};

// Resolves every key; throws skinscan::Error (invalid_argument) naming the key for a malformed
// value (port not 0-65535, negative rate limit, unknown region). Never echoes SKINSCAN_API_TOKEN.
ServerConfig resolve_server_config(const Settings& settings, const ServerFlags& flags,
                                   const std::string& default_model,
                                   const std::string& default_web_root);

}  // namespace skinscan::web
