// Login sessions of the web app: random 256-bit ids with a fixed lifetime, held in memory
// (lost on restart). Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace skinscan::web {

class SessionTable {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kLifetime = std::chrono::hours(12);

  // A new session id (64 hex characters), valid for kLifetime.
  std::string create();
  // True while `id` names a live session (expired ones are dropped).
  bool valid(const std::string& id);
  void remove(const std::string& id);

 private:
  std::mutex mu_;
  std::map<std::string, Clock::time_point> expiry_;
};

}  // namespace skinscan::web
