// A throwaway PostgreSQL server for tests: initdb in a fresh directory under /tmp, then
// `postgres` listening only on a unix socket in that directory (no TCP port to collide
// with). PostgreSQL refuses to run as root, so under root (CI) both run as the unprivileged
// user `nobody`, which owns the directory. The server is a child of this process and is
// stopped by its PID (fast shutdown, then waitpid); the directory is removed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace skinscan::testing {

class PgServer {
 public:
  // Directory holding initdb and postgres (the newest /usr/lib/postgresql/N/bin), or
  // nullopt when the server package is not installed.
  static std::optional<std::filesystem::path> bin_dir();

  // initdb (superuser `skinscan`, trust authentication, UTF-8) and start. Throws
  // std::runtime_error with the server's log when it cannot start.
  PgServer();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Stops (fast shutdown, waits for the process) / starts the same cluster again.
  void stop();
  void start();
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }

  // libpq URI of database `db` on this server.
  std::string url(const std::string& db = "postgres") const;
  // Creates a fresh empty database and returns its URI.
  std::string create_database(const std::string& name);
  // Runs SQL on database `url`; returns the first column of the first row ("" if none).
  // Fails the current test on error.
  static std::string sql(const std::string& url, const std::string& statement);

  // One server shared by every test of the process, started on first use.
  static PgServer& shared();

 private:
  std::filesystem::path dir_, bin_;
  pid_t pid_ = -1;
};

}  // namespace skinscan::testing
