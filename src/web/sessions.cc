#include "web/sessions.h"

#include "store/store.h"
#include "web/files.h"

namespace skinscan::web {
namespace {

std::string key_of(const std::string& id) {
  return sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(id.data()), id.size()));
}

}  // namespace

std::string SessionTable::create() {
  const std::string id = random_hex(32);
  store_->create_session(key_of(id), Clock::now() + kLifetime);
  return id;
}

bool SessionTable::valid(const std::string& id) {
  return store_->session_valid(key_of(id), Clock::now());
}

void SessionTable::remove(const std::string& id) { store_->delete_session(key_of(id)); }

}  // namespace skinscan::web
