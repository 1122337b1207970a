// Who may do what: authentication (bearer token or session cookie), the CSRF rules for
// state-changing requests, the Host allowlist (DNS rebinding), and rate limits.
#include <algorithm>

#include "web/http_reply.h"
#include "web/server_impl.h"

namespace skinscan::web {

namespace {

std::string url_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

bool Server::Impl::bearer_ok(const Request& req) const {
  const std::string h = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  return !cfg.api_token.empty() && h.size() > kPrefix.size() &&
         h.compare(0, kPrefix.size(), kPrefix) == 0 &&
         equal_secret(h.substr(kPrefix.size()), cfg.api_token);
}

bool Server::Impl::session_ok(const Request& req) {
  const auto cookies = parse_cookies(req);
  const auto it = cookies.find("skinscan_session");
  return it != cookies.end() && sessions.valid(it->second);
}

bool Server::Impl::authenticated(const Request& req) {
  return cfg.api_token.empty() || bearer_ok(req) || session_ok(req);
}

std::string Server::Impl::own_origin(const Request& req) const {
  return "http://" + req.get_header_value("Host");
}

bool Server::Impl::host_allowed(const Request& req) const {
  if (std::find(allowed_hosts.begin(), allowed_hosts.end(), "*") != allowed_hosts.end()) {
    return true;
  }
  if (req.get_header_value_count("Host") != 1) return false;
  const std::string host = host_name_of(req.get_header_value("Host"));
  return !host.empty() &&
         std::find(allowed_hosts.begin(), allowed_hosts.end(), host) != allowed_hosts.end();
}

std::string Server::Impl::csrf_problem(const Request& req) const {
  if (req.has_header("Origin")) {
    const std::string origin = req.get_header_value("Origin");
    if (origin != own_origin(req) && (cfg.public_url.empty() || origin != cfg.public_url)) {
      return "cross-origin request refused";
    }
  }
  if (bearer_ok(req) || !req.has_header("Cookie")) return "";
  const auto cookies = parse_cookies(req);
  const auto it = cookies.find("skinscan_csrf");
  if (it == cookies.end() || !equal_secret(it->second, req.get_header_value("X-CSRF-Token"))) {
    return "missing or wrong X-CSRF-Token header";
  }
  return "";
}

Handler Server::Impl::guard(Access access, Handler h) {
  return [this, access, h = std::move(h)](const Request& req, Response& res) {
    if (access != Access::kPublic && !authenticated(req)) {
      if (access == Access::kPage) {
        res.status = 302;
        res.set_header("Location", "/login?next=" + url_encode(req.path));
      } else {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "unauthorized", "log in or send Authorization: Bearer <token>");
      }
      return;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      if (const std::string why = csrf_problem(req); !why.empty()) {
        send_error(res, 403, "csrf", why);
        return;
      }
      if (const int wait = limiter.acquire(req.remote_addr); wait > 0) {
        res.set_header("Retry-After", std::to_string(wait));
        send_error(res, 429, "rate_limited",
                   "too many requests; retry in " + std::to_string(wait) + " s");
        return;
      }
    }
    h(req, res);
  };
}

}  // namespace skinscan::web
