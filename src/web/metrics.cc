#include "web/metrics.h"

#include <regex>
#include <sstream>

namespace skinscan::web {

void Metrics::observe(const std::string& route, const std::string& method, int status,
                      double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render(const std::vector<Gauge>& gauges) const {
  std::ostringstream o;
  {
    std::lock_guard lock(mu_);
    o << "# HELP skinscan_http_requests_total HTTP requests by route, method and status.\n"
      << "# TYPE skinscan_http_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      o << "skinscan_http_requests_total{route=\"" << std::get<0>(k) << "\",method=\""
        << std::get<1>(k) << "\",status=\"" << std::get<2>(k) << "\"} " << n << "\n";
    }
    o << "# HELP skinscan_http_request_duration_seconds Request latency by route.\n"
      << "# TYPE skinscan_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      const std::string l = "route=\"" + route + "\"";
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        o << "skinscan_http_request_duration_seconds_bucket{" << l << ",le=\"" << kBuckets[i]
          << "\"} " << h.counts[i] << "\n";
      }
      o << "skinscan_http_request_duration_seconds_bucket{" << l << ",le=\"+Inf\"} " << h.count
        << "\n"
        << "skinscan_http_request_duration_seconds_sum{" << l << "} " << h.sum << "\n"
        << "skinscan_http_request_duration_seconds_count{" << l << "} " << h.count << "\n";
    }
  }
  for (const Gauge& g : gauges) {
    o << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name << " gauge\n";
    for (const auto& [labels, v] : g.samples) {
      o << g.name << "{" << labels << "} " << v << "\n";
    }
  }
  return o.str();
}

std::string route_label(const std::string& path) {
  static const std::regex kId(R"(^/api/v1/screenings/\d+(/image|/heatmap\.png)?$)");
  static const std::regex kPage(R"(^/screenings/\d+$)");
  std::smatch m;
  if (std::regex_match(path, m, kId)) return "/api/v1/screenings/{id}" + m[1].str();
  if (std::regex_match(path, kPage)) return "/screenings/{id}";
  if (path.rfind("/static/", 0) == 0) return "/static/*";
  static const char* kFixed[] = {"/",
                                 "/history",
                                 "/insights",
                                 "/model",
                                 "/login",
                                 "/healthz",
                                 "/readyz",
                                 "/metrics",
                                 "/twilio/status",
                                 "/api/v1/screenings",
                                 "/api/v1/classify",
                                 "/api/v1/model",
                                 "/api/v1/insights",
                                 "/api/v1/session",
                                 "/api/v1/openapi.json"};
  for (const char* f : kFixed) {
    if (path == f) return f;
  }
  return "other";
}

}  // namespace skinscan::web
