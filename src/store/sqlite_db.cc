#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace skinscan::store {

void fail(const DbRef& ref, const std::string& op, int rc) {
  std::string msg = ref.db != nullptr ? sqlite3_errmsg(ref.db) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_NOTADB) msg = "not a SQLite database (" + msg + ")";
  throw StoreError("store " + (ref.path != nullptr ? *ref.path : std::string("?")) + ": " + op +
                   ": " + msg);
}

void exec(const DbRef& ref, const std::string& sql, const std::string& op) {
  char* err = nullptr;
  const int rc = sqlite3_exec(ref.db, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // sqlite3_errmsg() still holds the message
  if (rc != SQLITE_OK) fail(ref, op, rc);
}

Statement::Statement(const DbRef& ref, const char* sql, std::string op)
    : ref_(ref), op_(std::move(op)) {
  const int rc = sqlite3_prepare_v2(ref_.db, sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(ref_, op_, rc);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind_int(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) fail(ref_, op_, rc);
  return *this;
}

Statement& Statement::bind_real(int i, double v) {
  const int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) fail(ref_, op_, rc);
  return *this;
}

Statement& Statement::bind_text(int i, const std::string& v) {
  const int rc =
      sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(ref_, op_, rc);
  return *this;
}

Statement& Statement::bind_blob(int i, const std::string& bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(ref_, op_, rc);
  return *this;
}

Statement& Statement::bind_null(int i) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) fail(ref_, op_, rc);
  return *this;
}

Statement& Statement::bind_opt_int(int i, std::optional<std::int64_t> v) {
  return v ? bind_int(i, *v) : bind_null(i);
}

Statement& Statement::bind_opt_text(int i, const std::string& v) {
  return v.empty() ? bind_null(i) : bind_text(i, v);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(ref_, op_, rc);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Statement::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

Transaction::Transaction(const DbRef& ref, Kind kind, std::string op)
    : ref_(ref), op_(std::move(op)) {
  exec(ref_, kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", op_ + " (begin)");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(ref_.db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec(ref_, "COMMIT", op_ + " (commit)");
  open_ = false;
}

}  // namespace skinscan::store
