// Pages, the login session endpoints, operations (metrics, readiness, model, insights,
// OpenAPI) and Twilio's status callbacks.
#include <algorithm>

#include "notify/status_callback.h"
#include "web/api_json.h"
#include "web/files.h"
#include "web/http_reply.h"
#include "web/openapi.h"
#include "web/server_impl.h"

namespace skinscan::web {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// Twilio posts application/x-www-form-urlencoded; cpp-httplib decodes it.
notify::FormParams parse_form(const std::string& body) {
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  return {params.begin(), params.end()};
}

}  // namespace

// Pages share one site header (navigation and disclaimer): web/pages/_header.html replaces
// the marker line of a page that has it.
void Server::Impl::page(const std::string& file, const Request& req, Response& res) {
  const fs::path dir = fs::path(cfg.web_root) / "pages";
  auto html = read_file(dir / file);
  constexpr std::string_view kMarker =
      "<!-- skinscan:header (web/pages/_header.html, inserted by the server) -->\n";
  if (html) {
    if (const auto at = html->find(kMarker); at != std::string::npos) {
      const auto header = read_file(dir / "_header.html");
      if (header) {
        html->replace(at, kMarker.size(), *header);
      } else {
        html.reset();
      }
    }
  }
  if (!html) {
    send_error(res, 404, "not_found", "page not installed: " + file);
    return;
  }
  const auto cookies = parse_cookies(req);
  if (!cookies.count("skinscan_csrf")) {
    res.set_header("Set-Cookie", "skinscan_csrf=" + random_hex(16) + "; Path=/; SameSite=Strict");
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(*html, "text/html; charset=utf-8");
}

void Server::Impl::post_session(const Request& req, Response& res) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
    send_error(res, 400, "bad_request", "send JSON {\"token\": \"...\"}", "token");
    return;
  }
  if (cfg.api_token.empty() || !equal_secret(body["token"].get<std::string>(), cfg.api_token)) {
    send_error(res, 401, "unauthorized", "wrong token", "token");
    return;
  }
  const std::string id = sessions.create();
  res.status = 204;
  res.set_header("Set-Cookie",
                 "skinscan_session=" + id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
}

void Server::Impl::delete_session(const Request& req, Response& res) {
  const auto cookies = parse_cookies(req);
  if (const auto it = cookies.find("skinscan_session"); it != cookies.end()) {
    sessions.remove(it->second);
  }
  res.status = 204;
  res.set_header("Set-Cookie", "skinscan_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

void Server::Impl::get_session(const Request& req, Response& res) {
  json body = {{"auth_required", !cfg.api_token.empty()},
               {"authenticated", !cfg.api_token.empty() && (bearer_ok(req) || session_ok(req))},
               {"default_region", cfg.default_region}};
  // The smallest photo the loaded model screens (its input size, either orientation): the
  // form's hint says it, and smaller uploads get 422 too_small.
  const auto& pre = screener->model_json().value("preprocessing", nlohmann::json::object());
  if (pre.contains("width") && pre.contains("height")) {
    const int w = pre["width"].get<int>(), h = pre["height"].get<int>();
    body["min_photo"] = {{"width", std::max(w, h)}, {"height", std::min(w, h)}};
  }
  send_json(res, 200, body);
}

void Server::Impl::get_metrics(const Request&, Response& res) {
  const store::Counts c = store->counts();
  Metrics::Gauge by_decision{"skinscan_screenings", "Stored screenings by decision.", {}};
  for (const auto& [k, n] : c.screenings_by_decision) {
    by_decision.samples.emplace_back("decision=\"" + k + "\"", static_cast<double>(n));
  }
  Metrics::Gauge by_status{"skinscan_messages", "WhatsApp notifications by status.", {}};
  for (const auto& [k, n] : c.notifications_by_status) {
    by_status.samples.emplace_back("status=\"" + k + "\"", static_cast<double>(n));
  }
  res.set_content(metrics.render({by_decision, by_status}), "text/plain; version=0.0.4");
}

void Server::Impl::get_ready(const Request&, Response& res) {
  try {
    if (store->schema_version() > 0) {
      send_json(res, 200, {{"status", "ready"}, {"model", screener->model_version()}});
      return;
    }
  } catch (const std::exception&) {
  }
  send_error(res, 503, "not_ready", "database not available");
}

void Server::Impl::get_model(const Request&, Response& res) {
  send_json(res, 200, screener->model_json());
}

void Server::Impl::get_insights(const Request&, Response& res) {
  const auto eda = read_file(fs::path(cfg.model) / "eda.json");
  if (!eda) {
    send_error(res, 404, "not_found", "the loaded model has no eda.json");
    return;
  }
  res.set_content(*eda, "application/json");
}

void Server::Impl::get_openapi(const Request&, Response& res) {
  send_json(res, 200, openapi_document(screener->model_version()));
}

void Server::Impl::post_twilio(const Request& req, Response& res) {
  if (const int wait = callback_limiter.acquire(req.remote_addr); wait > 0) {
    res.set_header("Retry-After", std::to_string(wait));
    send_error(res, 429, "rate_limited", "too many status callbacks");
    return;
  }
  std::string url = twilio.status_callback_url();
  if (url.empty()) url = "http://" + req.get_header_value("Host") + "/twilio/status";
  res.status = notify::handle_status_callback(*store, twilio, url, parse_form(req.body),
                                              req.get_header_value("X-Twilio-Signature"));
}

}  // namespace skinscan::web
