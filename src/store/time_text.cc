#include "store/time_text.h"

#include <chrono>
#include <ctime>

namespace skinscan::store {
namespace {

std::string format_utc(std::int64_t ms, const char* fmt) {
  // Floor division so times before 1970 still land on the right second.
  std::int64_t secs = ms / 1000;
  if (ms % 1000 < 0) --secs;
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const auto n = std::strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}

}  // namespace

std::int64_t to_unix_ms(notify::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

notify::Clock::time_point from_unix_ms(std::int64_t ms) {
  return notify::Clock::time_point(
      std::chrono::duration_cast<notify::Clock::duration>(std::chrono::milliseconds(ms)));
}

std::int64_t now_unix_ms() { return to_unix_ms(notify::Clock::now()); }

std::string iso_utc(std::int64_t ms) { return format_utc(ms, "%Y-%m-%dT%H:%M:%SZ"); }

std::string iso_date(std::int64_t ms) { return format_utc(ms, "%Y-%m-%d"); }

}  // namespace skinscan::store
