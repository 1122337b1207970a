// Thin RAII wrappers over libpq used by the PostgreSQL store: one connection, one result,
// one transaction, and typed parameters. Every failure throws StoreError naming the
// database (URL without password), the operation and the server's message (never a bound
// value, so no phone number or name leaks into logs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

struct pg_conn;
struct pg_result;

namespace skinscan::store {

// A statement parameter: text (NULL when value is empty optional), or binary bytes (bytea).
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;
};
PgParam pg_int(std::int64_t v);
PgParam pg_real(double v);
PgParam pg_text(const std::string& v);
PgParam pg_opt_text(const std::string& v);  // empty string binds NULL
PgParam pg_opt_int(std::optional<std::int64_t> v);
PgParam pg_bool(bool v);
PgParam pg_bytes(const std::string& v);

// A query's rows; columns are read as text (the default result format).
class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r) {}
  ~PgResult();
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  PgResult& operator=(PgResult&&) = delete;

  int rows() const;
  std::int64_t affected() const;  // rows changed by INSERT/UPDATE/DELETE
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;  // NULL reads as ""
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  bool boolean(int row, int col) const;
  std::string bytea(int row, int col) const;

 private:
  pg_result* r_;
};

// One connection. Not thread-safe: the store guards it with its mutex.
class PgConn {
 public:
  // Connects to `url` (a libpq URI); `label` names the database in errors.
  PgConn(const std::string& url, std::string label);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Reconnects when the connection was lost (server restart); throws StoreError when the
  // server cannot be reached.
  void ensure(const std::string& op);
  bool ok() const;
  // Runs one statement with $1.. parameters.
  PgResult exec(const std::string& sql, const std::vector<PgParam>& params, const std::string& op);
  // Runs SQL without parameters; may hold several statements (migrations).
  void exec_script(const std::string& sql, const std::string& op);
  const std::string& label() const { return label_; }

 private:
  [[noreturn]] void fail(const std::string& op, pg_result* r);
  pg_conn* c_ = nullptr;
  std::string label_;
};

// BEGIN ... COMMIT; destroyed without commit() it rolls back.
class PgTransaction {
 public:
  PgTransaction(PgConn& c, const std::string& op, const char* begin = "BEGIN");
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  PgConn& c_;
  std::string op_;
  bool open_ = false;
};

// `url` with its password replaced by "***" (for logs and errors).
std::string redact_url(const std::string& url);

}  // namespace skinscan::store
