// Internal to src/web: the state of one running server, shared by the files that hold its
// concerns (each file defines the member functions of its concern):
//   server.cc            construction, the edge hooks, route table, bind/run/stop
//   access.cc            authentication (bearer, session cookie), CSRF, Host allowlist,
//                        rate limits: guard() wraps every handler
//   screening_routes.cc  uploads (screen, store) and reads (list, one, image, heatmap)
//   site_routes.cc       pages, login session endpoints, operations, Twilio callbacks
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <semaphore>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "notify/sender.h"
#include "notify/twilio_config.h"
#include "store/store.h"
#include "web/http_edge.h"
#include "web/metrics.h"
#include "web/rate_limiter.h"
#include "web/screener.h"
#include "web/server.h"
#include "web/server_config.h"
#include "web/sessions.h"
#include "web/validation.h"

namespace skinscan::web {

using httplib::Request;
using httplib::Response;
using Handler = std::function<void(const Request&, Response&)>;

enum class Access { kPublic, kApi, kPage };

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

struct Server::Impl {
  ServerConfig cfg;
  std::shared_ptr<const Screener> screener;
  std::shared_ptr<store::Store> store;
  notify::TwilioConfig twilio;
  std::filesystem::path images_dir;
  EdgeServer http;
  Metrics metrics;
  RateLimiter limiter;           // state-changing requests per client
  RateLimiter callback_limiter;  // Twilio status callbacks per client (10x rate_limit)
  Gate gate;
  std::unique_ptr<notify::Sender> sender;
  SessionTable sessions;
  std::vector<std::string> allowed_hosts;  // lowercase host names ("*": any)
  int port = 0;
  // Route table: path pattern -> methods, for 405 + Allow on a known path.
  struct Route {
    std::string pattern;
    std::regex re;  // compiled once
    std::vector<std::string> methods;
  };
  std::vector<Route> routes;

  Impl(ServerConfig c, std::shared_ptr<const Screener> s, std::shared_ptr<store::Store> st,
       notify::TwilioConfig t, notify::SenderOptions so);

  // server.cc
  void setup();
  void add_route(const std::string& method, const std::string& pattern, Handler h);
  std::vector<std::string> allowed_methods(const std::string& path) const;

  // access.cc
  bool bearer_ok(const Request& req) const;
  bool session_ok(const Request& req);
  bool authenticated(const Request& req);
  std::string own_origin(const Request& req) const;
  std::string csrf_problem(const Request& req) const;
  bool host_allowed(const Request& req) const;
  Handler guard(Access access, Handler h);

  // screening_routes.cc
  bool check_image(const Request& req, Response& res, std::vector<FieldError>& errors);
  // multipart, no repeated field, then check_image; false after answering (415/422/413).
  bool check_upload(const Request& req, Response& res, std::vector<FieldError>& errors);
  std::optional<ScreenResult> screen(const std::string& bytes, Response& res);
  void post_classify(const Request& req, Response& res);
  void post_screening(const Request& req, Response& res);
  std::optional<store::ScreeningRow> find(const Request& req, Response& res);
  void get_one(const Request& req, Response& res);
  void get_list(const Request& req, Response& res);
  // Issue 11 (web/clinic_routes.cc): the history filters, and a result page only for a
  // screening that exists (else a 404 page with a heading).
  bool list_filter(const Request& req, store::ListFilter& filter, Response& res) const;
  void result_page(const Request& req, Response& res);
  std::filesystem::path image_path(const store::ScreeningRow& row) const;
  std::optional<std::string> photo_bytes(const store::ScreeningRow& row);
  void get_image(const Request& req, Response& res);
  void get_heatmap(const Request& req, Response& res);

  // site_routes.cc
  void page(const std::string& file, const Request& req, Response& res);
  void post_session(const Request& req, Response& res);
  void delete_session(const Request& req, Response& res);
  void get_session(const Request& req, Response& res);
  void get_metrics(const Request& req, Response& res);
  void get_ready(const Request& req, Response& res);
  void get_model(const Request& req, Response& res);
  void get_insights(const Request& req, Response& res);
  void get_openapi(const Request& req, Response& res);
  void post_twilio(const Request& req, Response& res);
};

}  // namespace skinscan::web
