// Times in the database are integer unix milliseconds (UTC), so ORDER BY and <= compare
// correctly; rows expose them as ISO 8601 UTC text.
#pragma once

#include <cstdint>
#include <string>

#include "notify/outbox.h"

namespace skinscan::store {

std::int64_t to_unix_ms(notify::Clock::time_point t);
notify::Clock::time_point from_unix_ms(std::int64_t ms);
std::int64_t now_unix_ms();
std::string iso_utc(std::int64_t ms);   // "2026-11-26T05:01:02Z" (seconds, truncated)
std::string iso_date(std::int64_t ms);  // "2026-11-26"

}  // namespace skinscan::store
