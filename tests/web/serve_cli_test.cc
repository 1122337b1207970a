// `skinscan serve` as a process: prints its URL for --port 0, serves, and on SIGTERM finishes
// the request in flight and exits 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "test_server.h"

namespace skinscan::web {
namespace {
using skinscan::testing::TempDir;
using namespace skinscan::web::testing;

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child spawn_serve(const TempDir& dir) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const std::string bin = (skinscan::testing::binary_dir() / "skinscan").string();
  const std::string db = (dir / "cli.db").string();
  const std::string data = (dir / "data").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(bin.c_str(), bin.c_str(), "serve", "--port", "0", "--db", db.c_str(), "--data-dir",
            data.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, ::fdopen(fds[0], "r")};
}

TEST(ServeCommand, PrintsUrlServesAndShutsDownGracefully) {
  TempDir dir("web-serve-cli");
  Child child = spawn_serve(dir);
  ASSERT_GT(child.pid, 0);
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof line, child.out), nullptr) << "server printed nothing";
  const std::string text = line;
  const std::string prefix = "SkinScan listening on http://127.0.0.1:";
  ASSERT_EQ(text.rfind(prefix, 0), 0u) << text;
  const int port = std::stoi(text.substr(prefix.size()));
  ASSERT_GT(port, 0);

  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  const auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  // A screening in flight when SIGTERM arrives still completes.
  const std::string jpeg = read_bytes(sample_jpeg(7));
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client c2("127.0.0.1", port);
    c2.set_read_timeout(120, 0);
    const auto r = c2.Post("/api/v1/screenings", screening_form(jpeg));
    return r ? r->status : -1;
  });
  // Give the request a moment to reach the server before the signal (if it has not, the
  // server refuses it and the test reports -1: no hang either way).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(child.pid, SIGTERM);
  const int status_code = in_flight.get();
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  std::fclose(child.out);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(status_code == 201 || status_code == -1) << status_code;

  // A new server on the same database keeps the history.
  Child again = spawn_serve(dir);
  ASSERT_NE(std::fgets(line, sizeof line, again.out), nullptr);
  const int port2 = std::stoi(std::string(line).substr(prefix.size()));
  httplib::Client c3("127.0.0.1", port2);
  c3.set_read_timeout(120, 0);
  const auto list = c3.Get("/api/v1/screenings");
  ASSERT_TRUE(list);
  EXPECT_EQ(json_of(list)["total"], status_code == 201 ? 1 : 0);
  ::kill(again.pid, SIGINT);
  ASSERT_EQ(::waitpid(again.pid, &status, 0), again.pid);
  std::fclose(again.out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace skinscan::web
