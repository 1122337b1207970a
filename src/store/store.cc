#include "store/store.h"

#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace skinscan::store {

std::optional<std::int64_t> id_of_reference(const std::string& query) {
  const auto b = query.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const std::string q = query.substr(b, query.find_last_not_of(" \t\r\n") - b + 1);
  if (q.size() < 3 || (q[0] != 'S' && q[0] != 's') || (q[1] != 'S' && q[1] != 's')) return {};
  std::size_t i = 2;
  if (i < q.size() && q[i] == '-') ++i;
  if (i == q.size() || q.size() - i > 18) return {};
  std::int64_t id = 0;
  for (; i < q.size(); ++i) {
    if (q[i] < '0' || q[i] > '9') return {};
    id = id * 10 + (q[i] - '0');
  }
  return id > 0 ? std::optional(id) : std::nullopt;
}

bool is_postgresql_url(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::unique_ptr<Store> open_store(const std::string& db) {
  if (is_postgresql_url(db)) return std::make_unique<PgStore>(db);
  if (db.starts_with("sqlite:")) return std::make_unique<SqliteStore>(db.substr(7));
  return std::make_unique<SqliteStore>(db);
}

}  // namespace skinscan::store
