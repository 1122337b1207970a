// Login sessions of the web app: random 256-bit ids with a fixed lifetime, kept in the
// database (store::Store, by the SHA-256 of the id: the cookie itself is never stored), so
// they survive restarts and work on every instance sharing the database. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace skinscan::store {
class Store;
}

namespace skinscan::web {

class SessionTable {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr auto kLifetime = std::chrono::hours(12);

  explicit SessionTable(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}

  // A new session id (64 hex characters), valid for kLifetime.
  std::string create();
  // True while `id` names a live session (expired ones are dropped).
  bool valid(const std::string& id);
  void remove(const std::string& id);

 private:
  std::shared_ptr<store::Store> store_;
};

}  // namespace skinscan::web
