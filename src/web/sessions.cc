#include "web/sessions.h"

#include "web/files.h"

namespace skinscan::web {

std::string SessionTable::create() {
  const std::string id = random_hex(32);
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  std::erase_if(expiry_, [&](const auto& kv) { return kv.second < now; });
  expiry_[id] = now + kLifetime;
  return id;
}

bool SessionTable::valid(const std::string& id) {
  std::lock_guard lock(mu_);
  const auto s = expiry_.find(id);
  if (s == expiry_.end()) return false;
  if (s->second < Clock::now()) {
    expiry_.erase(s);
    return false;
  }
  return true;
}

void SessionTable::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  expiry_.erase(id);
}

}  // namespace skinscan::web
