// Per-client token buckets: each key (client IP) may make `per_minute` requests a minute on
// average, with bursts up to `per_minute`. Thread-safe. per_minute <= 0 disables limiting.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace skinscan::web {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}

  // 0 when the request may go ahead (a token is taken); otherwise the whole seconds to wait
  // before a token is available (>= 1), for Retry-After.
  int acquire(const std::string& key, Clock::time_point now = Clock::now());
  int per_minute() const { return per_minute_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  int per_minute_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace skinscan::web
