// The HTTP edge of `skinscan serve`: cpp-httplib's Server with SkinScan's own connection
// loop, so that hostile or slow clients cannot hold the server.
//
// Contract (per connection, one thread of the pool each):
//   - a request (request line, headers and body) must arrive within
//     `grace + bytes_so_far / min_rate` seconds of its first byte and never later than
//     `max_request` seconds: a client that trickles bytes (slowloris) is cut off after about
//     `grace` seconds, a slow but honest upload of 10 MB still gets through;
//   - an idle keep-alive connection is closed after `keep_alive` seconds, and after
//     `max_requests` requests;
//   - after any response whose request may have left unread bytes on the connection (every
//     4xx/5xx answer, or a handler that calls close_after_response()), the connection is
//     closed: the unread rest of a refused body is never parsed as further requests.
// The pool has `connections` threads, far more than the CPU-bound work needs (screening is
// gated separately), so slow clients cut off at the deadline leave capacity for others.
#pragma once

#include <chrono>
#include <cstddef>

#include <httplib.h>

namespace skinscan::web {

struct EdgeLimits {
  double grace = 10;          // s: headers (and a small body) must arrive within this
  double min_rate = 32768;    // bytes/s the rest of the request must average
  double max_request = 300;   // s: absolute cap for one request to arrive
  double keep_alive = 5;      // s: idle time allowed between requests
  double write_timeout = 10;  // s: a client that does not read its response is dropped
  std::size_t max_requests = 100;
  std::size_t connections = 64;  // threads serving connections
};

class EdgeServer : public httplib::Server {
 public:
  explicit EdgeServer(EdgeLimits limits = {});

  // From a handler or the post-routing handler: close this connection once the current
  // response is written.
  static void close_after_response();

  // Serves requests from `strm` until it ends or must close; returns after the last
  // response. `before_request` (optional) runs before each request and may end the
  // connection by returning false. The socket path and the fuzz harness both use it.
  void serve_stream(httplib::Stream& strm, const std::function<bool()>& before_request = {});

  const EdgeLimits& limits() const { return limits_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  EdgeLimits limits_;
};

}  // namespace skinscan::web
