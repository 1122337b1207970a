// Crash recovery of the real sender process: `skinscan notify send --db F` on a SQLite file is
// SIGKILLed while Twilio (the fake) hangs, restarted and killed again while Twilio answers
// 503, then restarted against a healthy Twilio. Every message must be delivered exactly once
// (no 201 was ever answered before a kill: the no-crash-window case), and rows written while
// Twilio was not configured are sent once the sender starts with credentials.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "eventually.h"
#include "fake_twilio.h"
#include "store/sqlite_store.h"
#include "support/paths.h"

extern char** environ;

namespace skinscan::notify {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::FakeMode;
using testing::FakeTwilio;

const std::string kSid = "AC11111111111111111111111111111111";
const std::string kToken = "crash-test-token-0f1e2d3c4b5a";
const std::string kFrom = "whatsapp:+14155238886";

class Child {
 public:
  Child(const std::filesystem::path& bin, const std::vector<std::string>& args,
        const std::vector<std::string>& env, const std::filesystem::path& log) {
    std::vector<char*> argv{const_cast<char*>(bin.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      if (kv.rfind("TWILIO_", 0) == 0 || kv.rfind("SKINSCAN_", 0) == 0) continue;
      envs.push_back(kv);
    }
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& kv : envs) envp.push_back(kv.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + bin.string());
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Sends `sig` to this child's pid and returns its wait status.
  int signal_and_wait(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

store::NewScreening screening(int i) {
  store::NewScreening s;
  s.patient_name = "Patient " + std::to_string(i) + " Ğüł";
  s.patient_phone = "+1415555" + std::to_string(1000 + i);
  s.doctor_name = "Dr. " + std::to_string(i);
  s.doctor_phone = "+1415555" + std::to_string(2000 + i);
  s.image_sha256 = std::string(63, 'a') + std::to_string(i % 10);
  s.image_format = "jpeg";
  s.image_width = 600;
  s.image_height = 450;
  s.label = "nv";
  s.decision = "diagnosis";
  s.finding = "Melanocytic nevi";
  s.confidence = 0.9;
  s.malignancy_risk = 0.05;
  s.result_json = "{}";
  s.model_version = "test-1";
  return s;
}

TEST(CrashRecovery, KilledSenderLosesNothingAndSendsEachMessageOnce) {
  const std::filesystem::path bin = skinscan::testing::binary_dir() / "skinscan";
  ASSERT_TRUE(std::filesystem::exists(bin)) << bin << " missing: build the skinscan target";
  skinscan::testing::TempDir dir("notify_crash");
  const std::string db = (dir / "outbox.db").string();
  const auto log = dir / "sender.log";
  std::size_t rows = 0;
  {
    store::SqliteStore store(db);
    for (int i = 0; i < 3; ++i)
      rows += store.create_screening(screening(i), Status::kPending).notifications.size();
    // Written while the server had no Twilio credentials.
    rows += store.create_screening(screening(3), Status::kNotConfigured).notifications.size();
  }
  ASSERT_EQ(rows, 8u);

  FakeTwilio fake(kSid, kToken, kFrom);
  const std::vector<std::string> env{
      "TWILIO_ACCOUNT_SID=" + kSid, "TWILIO_AUTH_TOKEN=" + kToken, "TWILIO_WHATSAPP_FROM=" + kFrom,
      "TWILIO_API_BASE=" + fake.base_url(),
      // A killed sender's rows are reclaimed when their lease ends: 4 s after the claim.
      "SKINSCAN_NOTIFY_TIMEOUT_S=2", "SKINSCAN_NOTIFY_LEASE_S=4",
      "SKINSCAN_NOTIFY_INITIAL_BACKOFF_MS=20", "SKINSCAN_NOTIFY_MAX_BACKOFF_MS=100",
      "SKINSCAN_NOTIFY_POLL_MS=50"};
  const std::vector<std::string> args{"notify", "send", "--db", db};

  // 1. Twilio hangs on the first request: kill the sender with that request in flight.
  fake.set_mode(FakeMode::kHang);
  {
    Child sender(bin, args, env, log);
    ASSERT_TRUE(fake.wait_for_requests(1));
    const int st = sender.signal_and_wait(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  }
  {
    store::SqliteStore store(db);
    EXPECT_FALSE(store.list_notifications(Status::kSending).empty()) << "rows left in flight";
    EXPECT_TRUE(store.list_notifications(Status::kNotConfigured).empty())
        << "activated at start because credentials are set";
  }

  // 2. Twilio answers 503: every row is tried (in-flight ones reclaimed), then kill again.
  fake.set_mode(FakeMode::kUnavailable);
  fake.release_hangs();
  const std::size_t before = fake.requests().size();
  {
    Child sender(bin, args, env, log);
    ASSERT_TRUE(fake.wait_for_requests(before + rows));
    sender.signal_and_wait(SIGKILL);
  }
  EXPECT_EQ(fake.accepted(), 0);

  // 3. Twilio healthy: everything is delivered, then a graceful stop.
  fake.set_mode(FakeMode::kAccept);
  {
    Child sender(bin, args, env, log);
    store::SqliteStore store(db);
    ASSERT_TRUE(eventually([&] {
      return store.list_notifications(Status::kQueued).size() == rows;
    })) << "sender log: "
        << log;
    const int st = sender.signal_and_wait(SIGTERM);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "graceful stop on SIGTERM";
  }

  EXPECT_TRUE(fake.violations().empty());
  EXPECT_EQ(fake.accepted(), static_cast<int>(rows));
  const auto per_message = fake.accepted_per_message();
  EXPECT_EQ(per_message.size(), rows);
  for (const auto& [key, n] : per_message) EXPECT_EQ(n, 1) << key;
  std::set<std::string> fake_sids;
  for (const auto& r : fake.requests()) {
    if (r.answered == 201) fake_sids.insert(r.sid);
  }
  store::SqliteStore store(db);
  std::set<std::string> db_sids;
  for (const auto& n : store.list_notifications(std::nullopt)) {
    EXPECT_EQ(n.status, Status::kQueued);
    db_sids.insert(n.twilio_sid);
  }
  EXPECT_EQ(db_sids, fake_sids);
}

// Runs `skinscan <args>` and returns (exit status, stdout).
std::pair<int, std::string> run_cli(const std::string& args) {
  const std::string cmd = (skinscan::testing::binary_dir() / "skinscan").string() + " " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  std::string out;
  char buf[4096];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST(NotifyCli, ListAndResend) {
  skinscan::testing::TempDir dir("notify_cli");
  const std::string db = (dir / "cli.db").string();
  std::int64_t id = 0;
  {
    store::SqliteStore store(db);
    id = store.create_screening(screening(1), Status::kPending).id;
    store.create_screening(screening(2), Status::kNotConfigured);
    auto claimed = store.claim_due(Clock::now(), 10, std::chrono::minutes(1));
    ASSERT_EQ(claimed.size(), 2u);
    store.mark_failed(claimed[0].id, "21211", "Twilio 400: invalid To");
    store.mark_failed(claimed[1].id, "21211", "Twilio 400: invalid To");
  }
  auto [rc, out] = run_cli("notify list --db '" + db + "' --json");
  ASSERT_EQ(rc, 0) << out;
  const auto all = nlohmann::json::parse(out);
  ASSERT_EQ(all.size(), 4u);
  std::tie(rc, out) = run_cli("notify list --db '" + db + "' --status failed --json");
  ASSERT_EQ(rc, 0);
  const auto failed = nlohmann::json::parse(out);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0]["error_code"], "21211");
  EXPECT_EQ(failed[0]["screening_id"], id);
  std::tie(rc, out) = run_cli("notify list --db '" + db + "' --status failed");
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("21211: Twilio 400: invalid To"), std::string::npos) << out;
  EXPECT_NE(run_cli("notify list --db '" + db + "' --status nonsense 2>&1").first, 0);

  std::tie(rc, out) = run_cli("notify resend --db '" + db + "' --screening " + std::to_string(id));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("2 message(s)"), std::string::npos) << out;
  std::tie(rc, out) = run_cli("notify list --db '" + db + "' --status pending --json");
  EXPECT_EQ(nlohmann::json::parse(out).size(), 2u);
  EXPECT_NE(run_cli("notify resend --db '" + db + "' --screening 424242 2>&1").first, 0);
  EXPECT_NE(run_cli("notify list --db '" + (dir / "missing.db").string() + "' 2>&1").first, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db")) << "no empty database created";
}

}  // namespace
}  // namespace skinscan::notify
