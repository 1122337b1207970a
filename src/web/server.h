// The clinic web app and REST API server (cpp-httplib). See docs/api.md for every route.
//
// Contracts:
//  - POST /api/v1/screenings screens the upload BEFORE writing anything; invalid input
//    (any field error, unsupported or broken image) stores nothing. A valid upload is stored
//    in the database's blob table (keyed by its SHA-256) in the SAME transaction as its
//    screening, so there is never a row without its photo nor a photo without its row, and
//    every instance on the database can serve it. Heatmaps are cached there too; photos of
//    older databases are still read from <data_dir>/images/<sha256>.<ext>.
//  - Login sessions live in the database (hash of the cookie), surviving restarts.
//  - Connections are served by a pool of threads; at most `threads` (default: the cores)
//    screenings or heatmaps run at once.
//  - stop() (any thread, e.g. a signal watcher) stops accepting connections; run() returns
//    after the requests in flight have finished, then the notification sender is stopped.
//  - Every response carries the security headers of the contract (CSP, nosniff, ...).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "notify/sender.h"
#include "notify/twilio_config.h"
#include "web/screener.h"
#include "web/server_config.h"

namespace skinscan::store {
class Store;
}

namespace skinscan::web {

class Server {
 public:
  // `screener` and `store` are shared with the caller (tests reuse one loaded model).
  Server(ServerConfig cfg, std::shared_ptr<const Screener> screener,
         std::shared_ptr<store::Store> store, notify::TwilioConfig twilio,
         notify::SenderOptions sender_options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds cfg.host:cfg.port (port 0: a free port). Returns the bound port; throws
  // std::runtime_error when the address cannot be bound.
  int bind();
  // Serves until stop(); starts and stops the notification sender. Call after bind().
  void run();
  void stop();
  // "http://host:port" once bound.
  std::string url() const;

  // Serves `request_bytes` exactly as if one client had sent them on one connection (same
  // edge rules, routes and limits, no socket) and returns every byte the server would have
  // written back. For the HTTP fuzz harness and request-level tests.
  std::string serve_bytes(std::string_view request_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skinscan::web
