// Thin RAII wrappers over the sqlite3 C API used by the store: one prepared statement,
// one write transaction. Every failure throws StoreError naming the database file, the
// operation and SQLite's message (never a bound value, so no phone number or name leaks
// into logs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace skinscan::store {

// What a statement needs to report errors: the connection and the file it belongs to.
struct DbRef {
  sqlite3* db = nullptr;
  const std::string* path = nullptr;
};

// Throws StoreError "store <path>: <op>: <sqlite message>".
[[noreturn]] void fail(const DbRef& ref, const std::string& op, int rc);
// Runs SQL without parameters or results (PRAGMAs, DDL, BEGIN/COMMIT).
void exec(const DbRef& ref, const std::string& sql, const std::string& op);

// One prepared statement. Bind indexes start at 1, column indexes at 0.
class Statement {
 public:
  Statement(const DbRef& ref, const char* sql, std::string op);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind_int(int i, std::int64_t v);
  Statement& bind_real(int i, double v);
  Statement& bind_text(int i, const std::string& v);
  Statement& bind_blob(int i, const std::string& bytes);
  Statement& bind_null(int i);
  Statement& bind_opt_int(int i, std::optional<std::int64_t> v);
  Statement& bind_opt_text(int i, const std::string& v);  // empty string binds NULL

  bool step();  // true when a row is available, false when done
  void run();   // steps once, expecting no rows
  void reset();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;  // NULL reads as ""
  std::string blob(int col) const;  // NULL reads as ""
  const DbRef& ref() const { return ref_; }

 private:
  DbRef ref_;
  std::string op_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A transaction: kWrite is BEGIN IMMEDIATE (takes the write lock at BEGIN, so two
// connections never deadlock upgrading read locks; the busy timeout makes the second one
// wait), kRead is BEGIN (one consistent snapshot for several SELECTs). Destroyed without
// commit() it rolls back, so an exception anywhere undoes every row written.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  Transaction(const DbRef& ref, Kind kind, std::string op);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  DbRef ref_;
  std::string op_;
  bool open_ = false;
};

}  // namespace skinscan::store
