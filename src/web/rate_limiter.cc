#include "web/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace skinscan::web {

int RateLimiter::acquire(const std::string& key, Clock::time_point now) {
  if (per_minute_ <= 0) return 0;
  const double capacity = per_minute_;
  const double per_second = per_minute_ / 60.0;
  std::lock_guard lock(mu_);
  if (buckets_.size() > 100000) {  // forget idle clients (bounded memory)
    std::erase_if(buckets_,
                  [&](const auto& kv) { return now - kv.second.last > std::chrono::minutes(2); });
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / per_second)));
}

}  // namespace skinscan::web
