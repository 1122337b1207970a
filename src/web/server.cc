#include "web/server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <stdexcept>
#include <thread>

#include "data/error.h"
#include "web/files.h"
#include "web/html_errors.h"
#include "web/http_reply.h"
#include "web/server_impl.h"

namespace skinscan::web {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCsp =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

thread_local std::chrono::steady_clock::time_point t_request_start;

EdgeLimits edge_limits(const ServerConfig& cfg) {
  EdgeLimits l;
  l.grace = cfg.request_grace_s;
  l.max_request = cfg.request_max_s;
  return l;
}

}  // namespace

Server::Impl::Impl(ServerConfig c, std::shared_ptr<const Screener> s,
                   std::shared_ptr<store::Store> st, notify::TwilioConfig t,
                   notify::SenderOptions so)
    : cfg(std::move(c)),
      screener(std::move(s)),
      store(std::move(st)),
      twilio(std::move(t)),
      images_dir(fs::path(cfg.data_dir) / "images"),
      http(edge_limits(cfg)),
      limiter(cfg.rate_limit),
      callback_limiter(cfg.rate_limit > 0 ? 10 * cfg.rate_limit : 0),
      gate(std::clamp(
          cfg.threads > 0 ? cfg.threads : static_cast<int>(std::thread::hardware_concurrency()), 1,
          1024)),
      sessions(store),
      allowed_hosts(cfg.allowed_hosts) {
  if (!screener || !store)
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "server needs a screener and a store");
  fs::create_directories(images_dir);
  remove_stale_temp_files(images_dir);  // left by a crash mid-write
  sender = std::make_unique<notify::Sender>(*store, twilio, so);
  setup();
}

void Server::Impl::add_route(const std::string& method, const std::string& pattern, Handler h) {
  if (method == "GET") {
    http.Get(pattern, std::move(h));
  } else if (method == "POST") {
    http.Post(pattern, std::move(h));
  } else if (method == "DELETE") {
    http.Delete(pattern, std::move(h));
  } else {
    throw std::logic_error("unsupported method " + method);
  }
  for (auto& r : routes) {
    if (r.pattern == pattern) {
      r.methods.push_back(method);
      return;
    }
  }
  routes.push_back({pattern, std::regex(pattern), {method}});
}

std::vector<std::string> Server::Impl::allowed_methods(const std::string& path) const {
  for (const auto& r : routes) {
    if (std::regex_match(path, r.re)) return r.methods;
  }
  return {};
}

void Server::Impl::setup() {
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
  http.set_tcp_nodelay(true);  // headers and body are separate writes: avoid Nagle + delayed ACK

  // Runs after the headers, BEFORE any body byte is read: requests refused here leave their
  // body unread, so their connection is closed after the answer (see post-routing).
  http.set_pre_routing_handler([this](const Request& req, Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    if (!host_allowed(req)) {
      send_error(res, 421, "misdirected_request",
                 "this server does not answer for that Host name (set SKINSCAN_ALLOWED_HOSTS)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length") && req.has_header("Transfer-Encoding")) {
      send_error(res, 400, "bad_request", "Content-Length and Transfer-Encoding together");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.get_header_value_count("Content-Length") > 1 ||
        req.get_header_value_count("Transfer-Encoding") > 1) {
      send_error(res, 400, "bad_request", "repeated Content-Length or Transfer-Encoding");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Runs just before every response is written (errors included), so a client that got
  // its response sees it counted. An error answer may leave unread request bytes on the
  // connection: it is closed, never parsed further (no request desync).
  http.set_post_routing_handler([this](const Request& req, Response& res) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request_start).count();
    metrics.observe(route_label(req.path), req.method, res.status, s);
    if (res.status >= 400) EdgeServer::close_after_response();
  });
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([this](const Request& req, Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        switch (res.status) {
          case 404: {
            const auto methods = allowed_methods(req.path);
            if (!methods.empty()) {
              std::string allow;
              for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
              if (std::find(methods.begin(), methods.end(), "GET") != methods.end())
                allow += ", HEAD";
              res.set_header("Allow", allow);
              send_error(res, 405, "method_not_allowed",
                         req.method + " is not allowed here; use " + allow);
            } else if (wants_html(req.get_header_value("Accept"))) {  // a browser: a page
              res.set_content(
                  error_page_html(404, "Page not found", "There is no page at " + req.path + "."),
                  "text/html; charset=utf-8");
            } else {
              send_error(res, 404, "not_found", "no such route");
            }
            break;
          }
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
  // An exception that escapes a handler: the client gets the code's status and a generic
  // message (details, which may name files, stay in the server log).
  http.set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    ErrorCode code = ErrorCode::kInternal;
    try {
      std::rethrow_exception(ep);
    } catch (const Error& e) {
      what = e.what();
      code = e.code();
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "skinscan serve: %s error: %s\n", error_code_name(code), what.c_str());
    const int status = http_status_for(code);
    send_error(res, status, status == 503 ? "unavailable" : "internal",
               status == 503 ? "a service SkinScan needs is unavailable; retry shortly"
                             : "internal server error");
  });

  // API
  add_route("POST", "/api/v1/screenings", guard(Access::kApi, bind(&Impl::post_screening)));
  add_route("GET", "/api/v1/screenings", guard(Access::kApi, bind(&Impl::get_list)));
  add_route("GET", R"(/api/v1/screenings/(\d{1,18}))", guard(Access::kApi, bind(&Impl::get_one)));
  add_route("GET", R"(/api/v1/screenings/(\d{1,18})/image)",
            guard(Access::kApi, bind(&Impl::get_image)));
  add_route("GET", R"(/api/v1/screenings/(\d{1,18})/heatmap\.png)",
            guard(Access::kApi, bind(&Impl::get_heatmap)));
  add_route("POST", "/api/v1/classify", guard(Access::kApi, bind(&Impl::post_classify)));
  add_route("GET", "/api/v1/model", guard(Access::kApi, bind(&Impl::get_model)));
  add_route("GET", "/api/v1/insights", guard(Access::kApi, bind(&Impl::get_insights)));
  add_route("GET", "/api/v1/openapi.json", guard(Access::kApi, bind(&Impl::get_openapi)));
  add_route("GET", "/api/v1/session", bind(&Impl::get_session));
  add_route("POST", "/api/v1/session", guard(Access::kPublic, bind(&Impl::post_session)));
  add_route("DELETE", "/api/v1/session", guard(Access::kPublic, bind(&Impl::delete_session)));
  add_route("POST", "/twilio/status", bind(&Impl::post_twilio));

  // Operations
  add_route("GET", "/healthz", [](const Request&, Response& res) {
    send_json(res, 200, {{"status", "ok"}});
  });
  add_route("GET", "/readyz", bind(&Impl::get_ready));
  add_route("GET", "/metrics", guard(Access::kApi, bind(&Impl::get_metrics)));

  // Pages and assets (static files through cpp-httplib's mount point: it refuses paths
  // that leave the folder).
  add_route("GET", "/", pg("index.html"));
  add_route("GET", R"(/screenings/(\d{1,18}))", guard(Access::kPage, bind(&Impl::result_page)));
  add_route("GET", "/history", pg("history.html"));
  add_route("GET", "/insights", pg("insights.html"));
  add_route("GET", "/model", pg("model.html"));
  add_route("GET", "/login", guard(Access::kPublic, [this](const Request& req, Response& res) {
              page("login.html", req, res);
            }));
  http.set_mount_point("/static", (fs::path(cfg.web_root) / "static").string(),
                       {{"Cache-Control", "no-cache"}});
  for (const auto& [ext, mime] : std::initializer_list<std::pair<const char*, const char*>>{
           {"js", "text/javascript; charset=utf-8"},
           {"css", "text/css; charset=utf-8"},
           {"svg", "image/svg+xml"},
           {"map", "application/json"},
           {"woff2", "font/woff2"}}) {
    http.set_file_extension_and_mimetype_mapping(ext, mime);
  }
}

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
    throw skinscan::Error(skinscan::ErrorCode::kUnavailable,
                          "cannot listen on " + m.cfg.host + ":" + std::to_string(m.cfg.port) +
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

namespace {

// One connection's bytes in memory: reads from the request, writes to the response.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    const std::size_t n = std::min(size, in_.size() - pos_);
    std::copy_n(in_.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  std::string take() { return std::move(out_); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::string out_;
};

}  // namespace

std::string Server::serve_bytes(std::string_view request_bytes) {
  MemoryStream strm(request_bytes);
  impl_->http.serve_stream(strm, [&] { return strm.is_readable(); });
  return strm.take();
}

std::string Server::url() const {
  return "http://" + impl_->cfg.host + ":" + std::to_string(impl_->port);
}

}  // namespace skinscan::web
