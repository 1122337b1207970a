#include "web/http_edge.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace skinscan::web {

namespace {

using Clock = std::chrono::steady_clock;

thread_local bool t_close_after = false;

// Waits until `fd` is ready for `events` or `deadline`; true when ready.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (n < 0 && errno != EINTR) return false;
  }
}

void ip_and_port(const sockaddr_storage& a, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
    port = ntohs(s->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
    port = ntohs(s->sin6_port);
  }
  ip = buf;
}

// A socket whose reads share one deadline per request (see the header's contract).
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int fd, const EdgeLimits& l) : fd_(fd), limits_(l) {}

  void start_request() {
    start_ = Clock::now();
    bytes_ = 0;
  }

  bool is_readable() const override { return wait_fd(fd_, POLLIN, deadline()); }
  bool is_writable() const override {
    return wait_fd(fd_, POLLOUT, Clock::now() + seconds(limits_.write_timeout));
  }

  ssize_t read(char* ptr, std::size_t size) override {
    if (!wait_fd(fd_, POLLIN, deadline())) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) bytes_ += static_cast<std::size_t>(n);
    return n;
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    port = 0;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip_and_port(a, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    port = 0;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip_and_port(a, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  static Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  Clock::time_point deadline() const {
    const double allowed = std::min(limits_.max_request,
                                    limits_.grace + static_cast<double>(bytes_) / limits_.min_rate);
    return start_ + seconds(allowed);
  }

  int fd_;
  const EdgeLimits& limits_;
  Clock::time_point start_ = Clock::now();
  std::size_t bytes_ = 0;
};

}  // namespace

EdgeServer::EdgeServer(EdgeLimits limits) : limits_(limits) {
  const std::size_t n = std::max<std::size_t>(limits_.connections, 2);
  new_task_queue = [n] { return new httplib::ThreadPool(n); };
}

void EdgeServer::close_after_response() { t_close_after = true; }

void EdgeServer::serve_stream(httplib::Stream& strm, const std::function<bool()>& before_request) {
  for (std::size_t k = 0; k < limits_.max_requests; ++k) {
    if (before_request && !before_request()) break;
    t_close_after = false;
    bool closed = false;
    const bool ok = process_request(strm, k + 1 == limits_.max_requests, closed, nullptr);
    if (!ok || closed || t_close_after) break;
  }
  t_close_after = false;
}

bool EdgeServer::process_and_close_socket(socket_t sock) {
  DeadlineStream strm(sock, limits_);
  bool first = true;
  serve_stream(strm, [&] {
    // Between requests the connection may idle for keep_alive seconds (the server stopping
    // ends the wait); the request's own deadline starts when it may begin.
    if (!first) {
      const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(limits_.keep_alive));
      while (true) {
        if (svr_sock_ == INVALID_SOCKET || Clock::now() >= until) return false;
        pollfd p{sock, POLLIN, 0};
        const int n = ::poll(&p, 1, 200);
        if (n > 0) break;
        if (n < 0 && errno != EINTR) return false;
      }
    }
    first = false;
    strm.start_request();
    return svr_sock_ != INVALID_SOCKET;
  });
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

}  // namespace skinscan::web
