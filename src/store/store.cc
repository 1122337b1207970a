#include "store/store.h"

#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace skinscan::store {

bool is_postgresql_url(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::unique_ptr<Store> open_store(const std::string& db) {
  if (is_postgresql_url(db)) return std::make_unique<PgStore>(db);
  if (db.starts_with("sqlite:")) return std::make_unique<SqliteStore>(db.substr(7));
  return std::make_unique<SqliteStore>(db);
}

}  // namespace skinscan::store
