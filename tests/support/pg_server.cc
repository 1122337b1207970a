#include "support/pg_server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace skinscan::testing {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// fork + (drop to `nobody` when root) + exec; stdout/stderr to `log`. Returns the PID.
pid_t spawn(const fs::path& dir, const std::vector<std::string>& argv, const fs::path& log) {
  const passwd* nobody = ::getuid() == 0 ? ::getpwnam("nobody") : nullptr;
  if (::getuid() == 0 && nobody == nullptr) throw std::runtime_error("no user `nobody`");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* out = std::fopen(log.c_str(), "a");
    if (out != nullptr) {
      ::dup2(::fileno(out), 1);
      ::dup2(::fileno(out), 2);
    }
    if (nobody != nullptr && (::setgroups(0, nullptr) != 0 || ::setgid(nobody->pw_gid) != 0 ||
                              ::setuid(nobody->pw_uid) != 0)) {
      ::_exit(126);
    }
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

std::optional<fs::path> PgServer::bin_dir() {
  const fs::path root = "/usr/lib/postgresql";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return std::nullopt;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (fs::exists(e.path() / "bin" / "postgres") && fs::exists(e.path() / "bin" / "initdb")) {
      found.push_back(e.path() / "bin");
    }
  }
  if (found.empty()) return std::nullopt;
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoi(a.parent_path().filename().string()) <
           std::stoi(b.parent_path().filename().string());
  });
  return found.back();
}

PgServer::PgServer() {
  const auto bin = bin_dir();
  if (!bin) throw std::runtime_error("PostgreSQL server binaries not found");
  bin_ = *bin;
  std::string tmpl = "/tmp/skinscan-pg-XXXXXX";  // short: unix socket paths are limited
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (::getuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr || ::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
      throw std::runtime_error("cannot give " + dir_.string() + " to user nobody");
    }
  }
  const fs::path log = dir_ / "initdb.log";
  const pid_t pid =
      spawn(dir_,
            {(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", "skinscan",
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
            log);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    throw std::runtime_error("initdb failed: " + slurp(log));
  }
  start();
}

PgServer::~PgServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PgServer::start() {
  if (pid_ > 0) return;
  const fs::path log = dir_ / "postgres.log";
  pid_ = spawn(dir_,
               {(bin_ / "postgres").string(), "-D", (dir_ / "data").string(), "-k", dir_.string(),
                "-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=200"},
               log);
  // Ready when it accepts connections; fail if the process ends first.
  while (true) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres exited: " + slurp(log));
    }
    if (PQping(url().c_str()) == PQPING_OK) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void PgServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: disconnects clients, no wait for them
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

std::string PgServer::url(const std::string& db) const {
  return "postgresql://skinscan@/" + db + "?host=" + dir_.string();
}

std::string PgServer::create_database(const std::string& name) {
  sql(url(), "CREATE DATABASE " + name);
  return url(name);
}

std::string PgServer::sql(const std::string& url, const std::string& statement) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string first;
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << "connect " << url << ": " << PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, statement.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ADD_FAILURE() << PQresultErrorMessage(r) << " in: " << statement;
    } else if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0)) {
      first = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
  }
  PQfinish(c);
  return first;
}

PgServer& PgServer::shared() {
  static PgServer server;
  return server;
}

}  // namespace skinscan::testing
