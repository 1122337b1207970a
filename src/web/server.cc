#include "web/server.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <semaphore>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include "data/classes.h"
#include "data/image.h"
#include "notify/sender.h"
#include "notify/status_callback.h"
#include "store/store.h"
#include "web/api_json.h"
#include "web/files.h"
#include "web/html_errors.h"
#include "web/metrics.h"
#include "web/openapi.h"
#include "web/rate_limiter.h"
#include "web/validation.h"

namespace skinscan::web {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using httplib::Request;
using httplib::Response;

namespace {

constexpr const char* kCsp =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
constexpr auto kSessionLifetime = std::chrono::hours(12);

thread_local std::chrono::steady_clock::time_point t_request_start;

void send_json(Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(Response& res, int status, const std::string& code, const std::string& message,
                const std::string& field = "") {
  send_json(res, status, error_body({{code, message, field}}));
}

std::map<std::string, std::string> parse_cookies(const Request& req) {
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

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string form_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

notify::FormParams parse_form(const std::string& body) {
  notify::FormParams out;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    out.emplace_back(form_decode(pair.substr(0, eq)),
                     eq == std::string::npos ? "" : form_decode(pair.substr(eq + 1)));
  }
  return out;
}

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

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Maps an image error code to its HTTP status.
int image_status(const std::string& code) {
  if (code == "too_large") return 413;
  if (code == "unsupported") return 415;
  return 422;
}

class Gate {  // at most n holders at once
 public:
  explicit Gate(int n) : sem_(n) {}
  struct Hold {
    explicit Hold(std::counting_semaphore<1024>& s) : s_(s) { s_.acquire(); }
    ~Hold() { s_.release(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    std::counting_semaphore<1024>& s_;
  };
  Hold hold() { return Hold(sem_); }

 private:
  std::counting_semaphore<1024> sem_;
};

enum class Access { kPublic, kApi, kPage };

}  // namespace

struct Server::Impl {
  ServerConfig cfg;
  std::shared_ptr<const Screener> screener;
  std::shared_ptr<store::Store> store;
  notify::TwilioConfig twilio;
  fs::path images_dir;
  httplib::Server http;
  Metrics metrics;
  RateLimiter limiter;
  Gate gate;
  std::unique_ptr<notify::Sender> sender;
  int port = 0;
  std::mutex sessions_mu;
  std::map<std::string, std::chrono::steady_clock::time_point> sessions;  // id -> expiry

  Impl(ServerConfig c, std::shared_ptr<const Screener> s, std::shared_ptr<store::Store> st,
       notify::TwilioConfig t, notify::SenderOptions so)
      : cfg(std::move(c)),
        screener(std::move(s)),
        store(std::move(st)),
        twilio(std::move(t)),
        images_dir(fs::path(cfg.data_dir) / "images"),
        limiter(cfg.rate_limit),
        gate(std::clamp(
            cfg.threads > 0 ? cfg.threads : static_cast<int>(std::thread::hardware_concurrency()),
            1, 1024)) {
    if (!screener || !store) throw std::invalid_argument("server needs a screener and a store");
    fs::create_directories(images_dir);
    sender = std::make_unique<notify::Sender>(*store, twilio, so);
    setup();
  }

  // ---- auth, CSRF, rate limiting --------------------------------------------------------

  bool bearer_ok(const Request& req) const {
    const std::string h = req.get_header_value("Authorization");
    constexpr std::string_view kPrefix = "Bearer ";
    return !cfg.api_token.empty() && h.size() > kPrefix.size() &&
           h.compare(0, kPrefix.size(), kPrefix) == 0 &&
           equal_secret(h.substr(kPrefix.size()), cfg.api_token);
  }

  bool session_ok(const Request& req) {
    const auto cookies = parse_cookies(req);
    const auto it = cookies.find("skinscan_session");
    if (it == cookies.end()) return false;
    std::lock_guard lock(sessions_mu);
    const auto s = sessions.find(it->second);
    if (s == sessions.end()) return false;
    if (s->second < std::chrono::steady_clock::now()) {
      sessions.erase(s);
      return false;
    }
    return true;
  }

  bool authenticated(const Request& req) {
    return cfg.api_token.empty() || bearer_ok(req) || session_ok(req);
  }

  std::string own_origin(const Request& req) const {
    return "http://" + req.get_header_value("Host");
  }

  // Empty when the state-changing request passes the CSRF rules, else the reason.
  std::string csrf_problem(const Request& req) const {
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

  using Handler = std::function<void(const Request&, Response&)>;

  // Wraps a handler with auth, CSRF and rate limiting.
  Handler guard(Access access, Handler h) {
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

  // ---- uploads --------------------------------------------------------------------------

  // Checks the image part; returns false after answering with 413/415 (a request-level
  // problem) or appending a 422 field error.
  bool check_image(const Request& req, Response& res, std::vector<FieldError>& errors) {
    if (!req.has_file("image")) {
      errors.push_back({"required", "an image file is required", "image"});
      return true;
    }
    const std::string& bytes = req.files.find("image")->second.content;
    if (bytes.empty()) {
      errors.push_back({"empty", "the image file is empty", "image"});
      return true;
    }
    if (bytes.size() > cfg.max_upload) {
      send_error(res, 413, "too_large", "the image is larger than 10 MB", "image");
      return false;
    }
    if (sniff_format(as_bytes(bytes)) == ImageFormat::kUnknown) {
      send_error(res, 415, "unsupported", "the image must be a JPEG, PNG or WebP file", "image");
      return false;
    }
    return true;
  }

  // Screens the bytes; returns nullopt after answering with the image error.
  std::optional<ScreenResult> screen(const std::string& bytes, Response& res) {
    try {
      const auto hold = gate.hold();
      return screener->screen(as_bytes(bytes));
    } catch (const ImageError& e) {
      send_error(res, image_status(e.code()), e.code(), e.what(), "image");
      return std::nullopt;
    }
  }

  static json result_json(const ScreenResult& r) {
    json j = r.json;
    j["words"] = r.words;
    return j;
  }

  void post_classify(const Request& req, Response& res) {
    if (!req.is_multipart_form_data()) {
      send_error(res, 415, "unsupported_media_type", "send multipart/form-data");
      return;
    }
    std::vector<FieldError> errors;
    if (!check_image(req, res, errors)) return;
    if (!errors.empty()) {
      send_json(res, 422, error_body(errors));
      return;
    }
    const auto r = screen(req.files.find("image")->second.content, res);
    if (!r) return;
    send_json(res, 200, {{"result", result_json(*r)}});
  }

  std::string field(const Request& req, const std::string& name) const {
    return req.has_file(name) ? req.get_file_value(name).content : std::string();
  }

  void post_screening(const Request& req, Response& res) {
    if (!req.is_multipart_form_data()) {
      send_error(res, 415, "unsupported_media_type", "send multipart/form-data");
      return;
    }
    std::vector<FieldError> errors;
    if (!check_image(req, res, errors)) return;
    const auto patient = validate_name(field(req, "patient_name"), "patient_name", errors);
    const auto patient_phone =
        validate_phone(field(req, "patient_phone"), cfg.default_region, "patient_phone", errors);
    const auto doctor = validate_name(field(req, "doctor_name"), "doctor_name", errors);
    const auto doctor_phone =
        validate_phone(field(req, "doctor_phone"), cfg.default_region, "doctor_phone", errors);
    if (!errors.empty()) {
      send_json(res, 422, error_body(errors));
      return;
    }
    const std::string& bytes = req.files.find("image")->second.content;
    const auto r = screen(bytes, res);  // BEFORE anything is written
    if (!r) return;

    store::NewScreening s;
    s.patient_name = *patient;
    s.patient_phone = *patient_phone;
    s.doctor_name = *doctor;
    s.doctor_phone = *doctor_phone;
    s.image_sha256 = sha256_hex(as_bytes(bytes));
    s.image_format = r->format;
    s.image_width = r->width;
    s.image_height = r->height;
    s.label = std::string(class_code(r->finding.label));
    s.decision = decision_code(r->finding.decision);
    s.finding = r->words;
    s.confidence = r->finding.confidence;
    s.malignancy_risk = r->finding.malignancy_risk;
    s.refer = r->finding.refer;
    s.result_json = r->json.dump();
    s.model_version = screener->model_version();

    const fs::path image = images_dir / (s.image_sha256 + "." + image_extension(s.image_format));
    std::error_code ec;
    if (!fs::exists(image, ec)) write_file_atomic(image, as_bytes(bytes));  // before the row
    const auto initial =
        twilio.configured() ? notify::Status::kPending : notify::Status::kNotConfigured;
    const store::ScreeningRow row = store->create_screening(s, initial);
    if (initial == notify::Status::kPending) sender->wake();
    res.set_header("Location", "/api/v1/screenings/" + std::to_string(row.id));
    send_json(res, 201, screening_json(row));
  }

  // ---- reads ----------------------------------------------------------------------------

  std::optional<store::ScreeningRow> find(const Request& req, Response& res) {
    std::int64_t id = 0;
    const std::string text = req.matches[1].str();
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    std::optional<store::ScreeningRow> row;
    if (ec == std::errc() && p == text.data() + text.size() && id > 0)
      row = store->get_screening(id);
    if (!row) send_error(res, 404, "not_found", "no screening with id " + text);
    return row;
  }

  void get_list(const Request& req, Response& res) {
    const std::string query = req.get_param_value("query");
    if (utf8_length(query).value_or(1000) > 100) {
      send_error(res, 400, "bad_request", "query must be UTF-8, at most 100 characters", "query");
      return;
    }
    int page = 1;
    if (req.has_param("page")) {
      const std::string p = req.get_param_value("page");
      const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), page);
      if (ec != std::errc() || end != p.data() + p.size() || page < 1) {
        send_error(res, 400, "bad_request", "page must be a whole number >= 1", "page");
        return;
      }
    }
    store::ListFilter filter;
    if (!parse_list_filter(req, filter, res)) return;
    const store::Page pg = store->list_screenings(query, page, 20, filter);
    json items = json::array();
    for (const auto& row : pg.items) items.push_back(screening_json(row));
    send_json(
        res, 200,
        {{"items", items}, {"total", pg.total}, {"page", pg.page}, {"page_size", pg.page_size}});
  }

  // ?decision=...&refer=true|false of the history list (issue 11); false after a 400.
  static bool parse_list_filter(const Request& req, store::ListFilter& f, Response& res) {
    f.decision = req.get_param_value("decision");
    if (!f.decision.empty() && f.decision != "diagnosis" && f.decision != "no_disease" &&
        f.decision != "inconclusive" && f.decision != "not_a_lesion") {
      send_error(res, 400, "bad_request",
                 "decision must be diagnosis, no_disease, inconclusive or not_a_lesion",
                 "decision");
      return false;
    }
    const std::string refer = req.get_param_value("refer");
    if (refer == "true" || refer == "false") {
      f.refer = refer == "true";
    } else if (!refer.empty()) {
      send_error(res, 400, "bad_request", "refer must be true or false", "refer");
      return false;
    }
    return true;
  }

  fs::path image_path(const store::ScreeningRow& row) const {
    return images_dir / (row.image_sha256 + "." + image_extension(row.image_format));
  }

  void get_image(const Request& req, Response& res) {
    const auto row = find(req, res);
    if (!row) return;
    auto bytes = read_file(image_path(*row));
    if (!bytes) {
      send_error(res, 404, "not_found", "image file missing");
      return;
    }
    const ImageFormat f = sniff_format(as_bytes(*bytes));
    res.set_header("Cache-Control", "private, max-age=86400, immutable");
    res.set_content(std::move(*bytes), format_mime(f));
  }

  void get_heatmap(const Request& req, Response& res) {
    const auto row = find(req, res);
    if (!row) return;
    const fs::path cache = images_dir / (row->image_sha256 + ".heatmap-" + row->label + ".png");
    auto png = read_file(cache);
    if (!png) {
      const auto bytes = read_file(image_path(*row));
      const auto cls = class_from_code(row->label);
      if (!bytes || !cls) {
        send_error(res, 404, "not_found", "image file missing");
        return;
      }
      std::vector<std::uint8_t> out;
      {
        const auto hold = gate.hold();
        out = screener->heatmap_png(as_bytes(*bytes), *cls);
      }
      write_file_atomic(cache, out);
      png = std::string(out.begin(), out.end());
    }
    res.set_header("Cache-Control", "private, max-age=86400");
    res.set_content(std::move(*png), "image/png");
  }

  // ---- pages, assets, session -----------------------------------------------------------

  // Pages share one site header (navigation and disclaimer): web/pages/_header.html replaces
  // the marker line of a page that has it.
  void page(const std::string& file, const Request& req, Response& res) {
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

  void get_static(const Request& req, Response& res) {
    const auto path = resolve_under(fs::path(cfg.web_root) / "static", req.matches[1].str());
    std::optional<std::string> bytes;
    if (path) bytes = read_file(*path);
    if (!bytes) {
      send_error(res, 404, "not_found", "no such asset");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::move(*bytes), mime_for(*path));
  }

  void post_session(const Request& req, Response& res) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
      send_error(res, 400, "bad_request", "send JSON {\"token\": \"...\"}", "token");
      return;
    }
    if (cfg.api_token.empty() || !equal_secret(body["token"].get<std::string>(), cfg.api_token)) {
      send_error(res, 401, "unauthorized", "wrong token", "token");
      return;
    }
    const std::string id = random_hex(32);
    {
      std::lock_guard lock(sessions_mu);
      const auto now = std::chrono::steady_clock::now();
      std::erase_if(sessions, [&](const auto& kv) { return kv.second < now; });
      sessions[id] = now + kSessionLifetime;
    }
    res.status = 204;
    res.set_header("Set-Cookie",
                   "skinscan_session=" + id + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
  }

  void delete_session(const Request& req, Response& res) {
    const auto cookies = parse_cookies(req);
    if (const auto it = cookies.find("skinscan_session"); it != cookies.end()) {
      std::lock_guard lock(sessions_mu);
      sessions.erase(it->second);
    }
    res.status = 204;
    res.set_header("Set-Cookie", "skinscan_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  }

  // ---- operations -----------------------------------------------------------------------

  void get_metrics(const Request&, Response& res) {
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

  void get_ready(const Request&, Response& res) {
    try {
      if (store->schema_version() > 0) {
        send_json(res, 200, {{"status", "ready"}, {"model", screener->model_version()}});
        return;
      }
    } catch (const std::exception&) {
    }
    send_error(res, 503, "not_ready", "database not available");
  }

  void post_twilio(const Request& req, Response& res) {
    std::string url = twilio.status_callback_url();
    if (url.empty()) url = "http://" + req.get_header_value("Host") + "/twilio/status";
    res.status = notify::handle_status_callback(*store, twilio, url, parse_form(req.body),
                                                req.get_header_value("X-Twilio-Signature"));
  }

  // ---- wiring ---------------------------------------------------------------------------

  void setup() {
    const auto bind = [this](auto fn) {
      return [this, fn](const Request& req, Response& res) { (this->*fn)(req, res); };
    };
    const auto pg = [this](std::string file) {
      return guard(Access::kPage,
                   [this, file](const Request& req, Response& res) { page(file, req, res); });
    };

    http.set_default_headers({{"Content-Security-Policy", kCsp},
                              {"X-Content-Type-Options", "nosniff"},
                              {"X-Frame-Options", "DENY"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Cross-Origin-Opener-Policy", "same-origin"},
                              {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"}});
    // The multipart body may exceed the image limit by its form fields and boundaries.
    http.set_payload_max_length(cfg.max_upload + (64u << 10));
    const int hc = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::size_t connections = static_cast<std::size_t>(std::max(8, 4 * hc));
    http.new_task_queue = [connections] { return new httplib::ThreadPool(connections); };
    http.set_keep_alive_timeout(5);
    http.set_tcp_nodelay(true);  // headers and body are separate writes: avoid Nagle + delayed ACK

    http.set_pre_routing_handler([](const Request&, Response&) {
      t_request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Recorded just before the response is written (post-routing runs for every response,
    // errors included), so a client that got its response sees it counted.
    http.set_post_routing_handler([this](const Request& req, Response& res) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request_start).count();
      metrics.observe(route_label(req.path), req.method, res.status, s);
    });
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      switch (res.status) {
        case 404:
          send_error(res, 404, "not_found", "no such route");
          break;
        case 413:
          send_error(res, 413, "too_large", "the upload is larger than 10 MB", "image");
          break;
        case 405:
          send_error(res, 405, "method_not_allowed", "method not allowed");
          break;
        case 400:
          send_error(res, 400, "bad_request", "malformed request");
          break;
        default:
          if (res.status >= 500)
            send_error(res, res.status, "internal", "internal error");
          else if (res.status >= 400)
            send_error(res, res.status, "error", "request refused");
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
      std::string what = "unknown error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      std::fprintf(stderr, "skinscan serve: internal error: %s\n", what.c_str());
      send_error(res, 500, "internal", "internal server error");
    });

    // API
    http.Post("/api/v1/screenings", guard(Access::kApi, bind(&Impl::post_screening)));
    http.Get("/api/v1/screenings", guard(Access::kApi, bind(&Impl::get_list)));
    http.Get(R"(/api/v1/screenings/(\d{1,18}))",
             guard(Access::kApi, [this](const Request& req, Response& res) {
               if (const auto row = find(req, res)) send_json(res, 200, screening_json(*row));
             }));
    http.Get(R"(/api/v1/screenings/(\d{1,18})/image)", guard(Access::kApi, bind(&Impl::get_image)));
    http.Get(R"(/api/v1/screenings/(\d{1,18})/heatmap\.png)",
             guard(Access::kApi, bind(&Impl::get_heatmap)));
    http.Post("/api/v1/classify", guard(Access::kApi, bind(&Impl::post_classify)));
    http.Get("/api/v1/model", guard(Access::kApi, [this](const Request&, Response& res) {
               send_json(res, 200, screener->model_json());
             }));
    http.Get("/api/v1/insights", guard(Access::kApi, [this](const Request&, Response& res) {
               const auto eda = read_file(fs::path(cfg.model) / "eda.json");
               if (!eda) {
                 send_error(res, 404, "not_found", "the loaded model has no eda.json");
                 return;
               }
               res.set_content(*eda, "application/json");
             }));
    http.Get("/api/v1/openapi.json", guard(Access::kApi, [this](const Request&, Response& res) {
               send_json(res, 200, openapi_document(screener->model_version()));
             }));
    http.Get("/api/v1/session", [this](const Request& req, Response& res) {
      send_json(res, 200,
                {{"auth_required", !cfg.api_token.empty()},
                 {"authenticated", !cfg.api_token.empty() && (bearer_ok(req) || session_ok(req))},
                 {"default_region", cfg.default_region}});
    });
    http.Post("/api/v1/session", guard(Access::kPublic, bind(&Impl::post_session)));
    http.Delete("/api/v1/session", guard(Access::kPublic, bind(&Impl::delete_session)));
    http.Post("/twilio/status", bind(&Impl::post_twilio));

    // Operations
    http.Get("/healthz", [](const Request&, Response& res) {
      send_json(res, 200, {{"status", "ok"}});
    });
    http.Get("/readyz", bind(&Impl::get_ready));
    http.Get("/metrics", guard(Access::kApi, bind(&Impl::get_metrics)));

    // Pages and assets
    http.Get("/", pg("index.html"));
    // A result page only for a screening that exists (issue 11): else a 404 page for people.
    http.Get(R"(/screenings/(\d{1,18}))",
             guard(Access::kPage, [this](const Request& req, Response& res) {
               std::int64_t id = 0;
               const std::string text = req.matches[1].str();
               std::from_chars(text.data(), text.data() + text.size(), id);
               if (id > 0 && store->get_screening(id)) return page("screening.html", req, res);
               res.status = 404;
               res.set_content(error_page_html(404, "Screening not found",
                                               "There is no screening number " + text + "."),
                               "text/html; charset=utf-8");
             }));
    http.Get("/history", pg("history.html"));
    http.Get("/insights", pg("insights.html"));
    http.Get("/model", pg("model.html"));
    http.Get("/login", guard(Access::kPublic, [this](const Request& req, Response& res) {
               page("login.html", req, res);
             }));
    http.Get(R"(/static/(.+))", guard(Access::kPublic, bind(&Impl::get_static)));
    // Last: any other GET. A browser gets a page with a heading, API clients the JSON error.
    http.Get(R"(/.*)", [](const Request& req, Response& res) {
      if (!wants_html(req.get_header_value("Accept"))) {
        send_error(res, 404, "not_found", "no such route");
        return;
      }
      res.status = 404;
      res.set_content(
          error_page_html(404, "Page not found", "There is no page at " + req.path + "."),
          "text/html; charset=utf-8");
    });
  }
};

Server::Server(ServerConfig cfg, std::shared_ptr<const Screener> screener,
               std::shared_ptr<store::Store> store, notify::TwilioConfig twilio,
               notify::SenderOptions sender_options)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(screener), std::move(store),
                                   std::move(twilio), sender_options)) {}

Server::~Server() {
  stop();
  impl_->sender->stop();
}

int Server::bind() {
  Impl& m = *impl_;
  if (m.cfg.port == 0) {
    m.port = m.http.bind_to_any_port(m.cfg.host);
  } else {
    m.port = m.http.bind_to_port(m.cfg.host, m.cfg.port) ? m.cfg.port : -1;
  }
  if (m.port <= 0) {
    throw std::runtime_error("cannot listen on " + m.cfg.host + ":" + std::to_string(m.cfg.port) +
                             " (address in use or not available)");
  }
  return m.port;
}

void Server::run() {
  impl_->sender->start();
  impl_->http.listen_after_bind();  // returns after stop(), once in-flight requests finished
  impl_->sender->stop();
}

void Server::stop() { impl_->http.stop(); }

std::string Server::url() const {
  return "http://" + impl_->cfg.host + ":" + std::to_string(impl_->port);
}

}  // namespace skinscan::web
