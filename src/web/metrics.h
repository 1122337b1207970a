// Prometheus metrics of the server: requests by route, method and status, and a latency
// histogram by route. Thread-safe. Route labels are templates ("/api/v1/screenings/{id}"),
// never raw paths, so the label set stays small.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace skinscan::web {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10,  30};
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  // Text exposition format 0.0.4: skinscan_http_requests_total,
  // skinscan_http_request_duration_seconds, plus the given gauges
  // (name, help, [(label text, value)]).
  struct Gauge {
    std::string name, help;
    std::vector<std::pair<std::string, double>> samples;  // label text like decision="x"
  };
  std::string render(const std::vector<Gauge>& gauges) const;

 private:
  struct Histogram {
    std::array<long, kBuckets.size()> counts{};
    long count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, long> requests_;
  std::map<std::string, Histogram> latency_;
};

// Route template of a request path, for metric labels.
std::string route_label(const std::string& path);

}  // namespace skinscan::web
