#include "store/pg_db.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace skinscan::store {

PgParam pg_int(std::int64_t v) { return {std::to_string(v)}; }
PgParam pg_real(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact text
  return {std::string(buf, r.ptr)};
}
PgParam pg_text(const std::string& v) { return {v}; }
PgParam pg_opt_text(const std::string& v) { return v.empty() ? PgParam{} : PgParam{v}; }
PgParam pg_opt_int(std::optional<std::int64_t> v) { return v ? pg_int(*v) : PgParam{}; }
PgParam pg_bool(bool v) { return {v ? "true" : "false"}; }
PgParam pg_bytes(const std::string& v) { return {v, true}; }

PgResult::~PgResult() { PQclear(r_); }
int PgResult::rows() const { return PQntuples(r_); }
std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(r_);
  return n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
}
bool PgResult::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
std::string PgResult::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}
std::int64_t PgResult::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}
double PgResult::real(int row, int col) const {
  return std::strtod(PQgetvalue(r_, row, col), nullptr);
}
bool PgResult::boolean(int row, int col) const {
  const char* v = PQgetvalue(r_, row, col);
  return v[0] == 't';
}
std::string PgResult::bytea(int row, int col) const {
  if (is_null(row, col)) return {};
  std::size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

PgConn::PgConn(const std::string& url, std::string label) : label_(std::move(label)) {
  // A default connect_timeout, so a reconnect to an unreachable host gives up after seconds,
  // not the system's TCP timeout; one in the URL wins (expanded later, it overrides).
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"5", url.c_str(), nullptr};
  c_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string msg = c_ != nullptr ? PQerrorMessage(c_) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c_);
    c_ = nullptr;
    throw StoreError("store " + label_ + ": open: " + msg, ErrorCode::kUnavailable);
  }
}

PgConn::~PgConn() { PQfinish(c_); }

bool PgConn::ok() const { return c_ != nullptr && PQstatus(c_) == CONNECTION_OK; }

void PgConn::ensure(const std::string& op) {
  if (ok()) return;
  PQreset(c_);
  if (!ok()) {
    std::string msg = PQerrorMessage(c_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw StoreError("store " + label_ + ": " + op + ": database unavailable: " + msg,
                     ErrorCode::kUnavailable);
  }
}

void PgConn::fail(const std::string& op, pg_result* r) {
  std::string msg = r != nullptr ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(c_);
  PQclear(r);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // The connection broke (server restart, network): the statement did not take effect, or
  // (at COMMIT) its outcome is unknown -- either way the caller reported no success.
  const ErrorCode code = ok() ? ErrorCode::kStore : ErrorCode::kUnavailable;
  throw StoreError("store " + label_ + ": " + op + ": " + msg, code);
}

PgResult PgConn::exec(const std::string& sql, const std::vector<PgParam>& params,
                      const std::string& op) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  pg_result* r = PQexecParams(c_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                              values.data(), lengths.data(), formats.data(), 0);
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(op, r);
  return PgResult(r);
}

void PgConn::exec_script(const std::string& sql, const std::string& op) {
  pg_result* r = PQexec(c_, sql.c_str());
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(op, r);
  PQclear(r);
}

PgTransaction::PgTransaction(PgConn& c, const std::string& op, const char* begin) : c_(c), op_(op) {
  c_.ensure(op_);
  c_.exec_script(begin, op_ + " (begin)");
  open_ = true;
}

PgTransaction::~PgTransaction() {
  if (open_ && c_.ok()) {
    try {
      c_.exec_script("ROLLBACK", op_ + " (rollback)");
    } catch (const StoreError&) {  // the connection is gone: the server rolled back
    }
  }
}

void PgTransaction::commit() {
  c_.exec_script("COMMIT", op_ + " (commit)");
  open_ = false;
}

}  // namespace skinscan::store
