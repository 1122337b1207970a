// The multi-instance deployment end to end: `scripts/cluster up 2` (a real PostgreSQL server,
// two real `skinscan serve` processes with the shipped model, real nginx in front), with a
// Twilio-compatible fake on 127.0.0.1 as both instances' WhatsApp endpoint.
//  - screenings created through nginx land on both instances and each is readable (row and
//    photo) through the other; a login made on one instance works on the other;
//  - 50 screenings give exactly 100 accepted messages, none twice, with both senders running;
//    Twilio's status callbacks are applied whichever instance receives them;
//  - kill -9 of one instance while messages are in flight: every message is still delivered,
//    duplicates only inside the stated window (at most the one request the killed sender had
//    between Twilio's 201 and its commit), counted;
//  - PostgreSQL stopped and started under the instances: not ready, no 201 while it is down,
//    ready again without restarting them, nothing half-stored;
//  - `skinscan notify list` on the shared database, `skinscan migrate` from SQLite.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "eventually.h"
#include "fake_twilio.h"
#include "notify/signature.h"
#include "store/sqlite_store.h"
#include "store/validate.h"
#include "support/paths.h"
#include "support/pg_server.h"

namespace skinscan {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using notify::testing::eventually;
using notify::testing::FakeTwilio;
using skinscan::testing::PgServer;

const std::string kSid = "AC22222222222222222222222222222222";
const std::string kToken = "cluster-test-token-0a1b2c3d4e5f";
const std::string kFrom = "whatsapp:+14155238886";
const std::string kApiToken = "cluster-api-token-9f8e7d6c5b4a39281706";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// True while the process exists and is not a zombie.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z';
}

// Runs a shell command; returns (exit status, stdout).
std::pair<int, std::string> run(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  std::string out;
  char buf[4096];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

struct Node {
  std::string name;
  pid_t pid = 0;
  int port = 0;
};

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgServer::bin_dir()) GTEST_SKIP() << "PostgreSQL server binaries not found";
    ASSERT_TRUE(std::filesystem::exists(skinscan::testing::binary_dir() / "skinscan"));
    fake_.delay = 0ms;
    const std::string env =
        "SKINSCAN_CLUSTER_DIR='" + state_.path().string() +
        "' SKINSCAN_CLUSTER_PORT=0 SKINSCAN_API_TOKEN=" + kApiToken +
        " TWILIO_ACCOUNT_SID=" + kSid + " TWILIO_AUTH_TOKEN=" + kToken +
        " TWILIO_WHATSAPP_FROM=" + kFrom + " TWILIO_API_BASE=" + fake_.base_url() +
        // A killed sender's rows are taken over 4 s after their claim.
        " SKINSCAN_NOTIFY_TIMEOUT_S=2 SKINSCAN_NOTIFY_LEASE_S=4 SKINSCAN_NOTIFY_POLL_MS=100"
        " SKINSCAN_NOTIFY_INITIAL_BACKOFF_MS=50 SKINSCAN_NOTIFY_MAX_BACKOFF_MS=200 ";
    script_ = env + (skinscan::testing::source_dir() / "scripts" / "cluster").string();
    ASSERT_EQ(
        std::system((script_ + " up 2 > '" + (state_ / "up.log").string() + "' 2>&1").c_str()), 0)
        << slurp(state_ / "up.log");
    up_ = true;
    url_ = trim(slurp(state_ / "url"));
    db_ = trim(slurp(state_ / "db"));
    std::istringstream pids(slurp(state_ / "pids"));
    std::string line;
    while (std::getline(pids, line)) {
      std::istringstream f(line);
      Node n;
      f >> n.name >> n.pid >> n.port;
      if (n.name.rfind("node", 0) == 0) nodes_.push_back(n);
    }
    ASSERT_EQ(nodes_.size(), 2u);
  }

  void TearDown() override {
    if (up_) std::system((script_ + " down > /dev/null 2>&1").c_str());
  }

  httplib::Headers auth() const { return {{"Authorization", "Bearer " + kApiToken}}; }

  // POSTs a screening (a real sample photo) to `base`; returns (status, id, upstream).
  std::tuple<int, std::int64_t, std::string> post_screening(const std::string& base, int i) {
    static const std::string photo = slurp(skinscan::testing::source_dir() / "samples" /
                                           "ham10000-mini" / "images" / "ISIC_0024431.jpg");
    httplib::Client cli(base);
    cli.set_read_timeout(120, 0);
    const httplib::MultipartFormDataItems form{
        {"image", photo, "lesion.jpg", "image/jpeg"},
        {"patient_name", "Patient " + std::to_string(i) + " Zoë", "", ""},
        {"patient_phone", "+1415555" + std::to_string(3000 + i), "", ""},
        {"doctor_name", "Dr. Cluster", "", ""},
        {"doctor_phone", "+1415555" + std::to_string(6000 + i), "", ""}};
    const auto res = cli.Post("/api/v1/screenings", auth(), form);
    if (!res) return {0, 0, ""};
    std::int64_t id = 0;
    if (res->status == 201) id = json::parse(res->body)["id"].get<std::int64_t>();
    return {res->status, id, res->get_header_value("X-SkinScan-Upstream")};
  }

  std::string node_url(const Node& n) const { return "http://127.0.0.1:" + std::to_string(n.port); }
  std::int64_t count(const std::string& sql) { return std::stoll(PgServer::sql(db_, sql)); }

  FakeTwilio fake_{kSid, kToken, kFrom};
  skinscan::testing::TempDir state_{"cluster"};
  std::string script_, url_, db_;
  std::vector<Node> nodes_;
  bool up_ = false;
};

TEST_F(Cluster, TwoInstancesShareEverythingAndDeliverEachMessageOnce) {
  // 50 screenings through nginx, spread over both instances.
  std::map<std::string, std::vector<std::int64_t>> by_upstream;
  for (int i = 0; i < 50; ++i) {
    const auto [status, id, upstream] = post_screening(url_, i);
    ASSERT_EQ(status, 201) << "screening " << i;
    by_upstream[upstream].push_back(id);
  }
  ASSERT_EQ(by_upstream.size(), 2u) << "both instances served screenings";
  for (const auto& [upstream, ids] : by_upstream) {
    // Each screening is readable, photo included, through the OTHER instance.
    const Node& other =
        upstream == "127.0.0.1:" + std::to_string(nodes_[0].port) ? nodes_[1] : nodes_[0];
    httplib::Client cli(node_url(other));
    for (const auto id : ids) {
      const auto row = cli.Get("/api/v1/screenings/" + std::to_string(id), auth());
      ASSERT_TRUE(row && row->status == 200) << id << " via " << other.name;
      const auto image = cli.Get("/api/v1/screenings/" + std::to_string(id) + "/image", auth());
      ASSERT_TRUE(image && image->status == 200) << "photo of " << id << " via " << other.name;
      EXPECT_EQ(image->get_header_value("Content-Type"), "image/jpeg");
    }
  }
  // A login made on one instance works on the other.
  httplib::Client one(node_url(nodes_[0])), two(node_url(nodes_[1]));
  const auto login =
      one.Post("/api/v1/session", json{{"token", kApiToken}}.dump(), "application/json");
  ASSERT_TRUE(login && login->status == 204);
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const auto session = two.Get("/api/v1/session", {{"Cookie", cookie}});
  ASSERT_TRUE(session && session->status == 200);
  EXPECT_EQ(json::parse(session->body)["authenticated"], true) << session->body;
  const auto list = two.Get("/api/v1/screenings", {{"Cookie", cookie}});
  ASSERT_TRUE(list && list->status == 200);
  EXPECT_EQ(json::parse(list->body)["total"], 50);

  // Both senders deliver: exactly 100 accepted messages, none twice.
  ASSERT_TRUE(eventually([&] { return fake_.accepted() >= 100; }, 120s)) << fake_.accepted();
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT count(*) FROM notifications WHERE status = 'queued'") == 100; }));
  EXPECT_EQ(fake_.accepted(), 100);
  const auto per_message = fake_.accepted_per_message();
  EXPECT_EQ(per_message.size(), 100u);
  for (const auto& [key, n] : per_message) EXPECT_EQ(n, 1) << key;
  EXPECT_TRUE(fake_.violations().empty());

  // The operator commands work on the shared database too.
  const std::string bin = (skinscan::testing::binary_dir() / "skinscan").string();
  const auto [rc, out] = run("'" + bin + "' notify list --db '" + db_ + "' --status queued --json");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(json::parse(out).size(), 100u);

  // Twilio's status callbacks may land on any instance: one per instance, each for a message
  // the other instance may have sent, both applied to the shared rows.
  const std::string sid1 =
      PgServer::sql(db_, "SELECT twilio_sid FROM notifications ORDER BY id LIMIT 1");
  const std::string sid2 =
      PgServer::sql(db_, "SELECT twilio_sid FROM notifications ORDER BY id DESC LIMIT 1");
  for (const auto& [node, sid] : {std::pair{nodes_[0], sid1}, std::pair{nodes_[1], sid2}}) {
    const notify::FormParams form{{"MessageSid", sid}, {"MessageStatus", "delivered"}};
    const std::string url = node_url(node) + "/twilio/status";
    httplib::Client cli(node_url(node));
    const auto r = cli.Post(
        "/twilio/status", {{"X-Twilio-Signature", notify::twilio_signature(kToken, url, form)}},
        "MessageSid=" + sid + "&MessageStatus=delivered", "application/x-www-form-urlencoded");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204) << node.name;
  }
  EXPECT_EQ(
      count("SELECT count(*) FROM notifications WHERE status = 'delivered' AND twilio_sid IN ('" +
            sid1 + "', '" + sid2 + "')"),
      2);
}

TEST_F(Cluster, KilledInstanceLosesNoMessage) {
  fake_.delay = 150ms;  // a slow Twilio: requests are in flight when the kill comes
  for (int i = 0; i < 20; ++i) ASSERT_EQ(std::get<0>(post_screening(url_, i)), 201);
  ASSERT_TRUE(eventually([&] { return fake_.accepted() >= 6; }, 120s));
  ASSERT_EQ(::kill(nodes_[0].pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return !alive(nodes_[0].pid); }));
  const int accepted_at_kill = fake_.accepted();
  EXPECT_LT(accepted_at_kill, 40) << "the kill came after everything was sent";
  // The survivor takes over the killed sender's rows when their lease ends.
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT count(*) FROM notifications WHERE status = 'queued'") == 40; },
      180s))
      << count("SELECT count(*) FROM notifications WHERE status = 'queued'");
  const auto per_message = fake_.accepted_per_message();
  EXPECT_EQ(per_message.size(), 40u) << "every message delivered";
  int duplicates = 0;
  for (const auto& [key, n] : per_message) duplicates += n - 1;
  // The killed sender sends one row at a time: at most that one can have been accepted by
  // Twilio without its commit (the stated window).
  EXPECT_LE(duplicates, 1);
  std::printf("[ cluster  ] kill -9 with %d of 40 accepted: %d duplicate(s)\n", accepted_at_kill,
              duplicates);
  // nginx sends new requests to the survivor.
  EXPECT_EQ(std::get<0>(post_screening(url_, 100)), 201);
}

TEST_F(Cluster, PostgresRestartIsSurvivedWithoutRestartingInstances) {
  // Light load: one client posting screenings through nginx all along.
  std::mutex mu;
  std::vector<std::pair<int, std::int64_t>> answers;  // (status, id)
  std::atomic<bool> stop{false};
  std::thread client([&] {
    for (int i = 0; !stop; ++i) {
      const auto [status, id, upstream] = post_screening(url_, i);
      std::lock_guard lock(mu);
      answers.emplace_back(status, id);
    }
  });
  auto tally = [&](bool ok) {
    std::lock_guard lock(mu);
    return std::count_if(answers.begin(), answers.end(),
                         [&](const auto& a) { return (a.first == 201) == ok; });
  };
  ASSERT_TRUE(eventually([&] { return tally(true) >= 3; }));

  ASSERT_EQ(std::system((script_ + " pg-stop > /dev/null 2>&1").c_str()), 0);
  httplib::Client cli(node_url(nodes_[1]));
  const auto ready = cli.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503) << "not ready while the database is down";
  const auto failed_before = tally(false);
  ASSERT_TRUE(eventually([&] { return tally(false) >= failed_before + 3; }));

  ASSERT_EQ(std::system((script_ + " pg-start > /dev/null 2>&1").c_str()), 0);
  for (const auto& n : nodes_) {
    httplib::Client c(node_url(n));
    EXPECT_TRUE(eventually([&] {
      const auto r = c.Get("/readyz");
      return r && r->status == 200;
    })) << n.name
        << " ready again without a restart";
    EXPECT_TRUE(alive(n.pid));
  }
  const auto ok_after = tally(true);
  ASSERT_TRUE(eventually([&] { return tally(true) >= ok_after + 3; }));
  stop = true;
  client.join();

  // Every answer is a 201 or a server error (503 "unavailable" while the database is down);
  // never a client error, never a lost 201.
  std::int64_t created = 0, unavailable = 0;
  for (const auto& [status, id] : answers) {
    EXPECT_TRUE(status == 201 || status >= 500) << status;
    unavailable += status == 503;
    if (status != 201) continue;
    ++created;
    EXPECT_EQ(
        PgServer::sql(db_, "SELECT count(*) FROM screenings WHERE id = " + std::to_string(id)), "1")
        << "a 201 for screening " << id << " that is not stored";
  }
  // Nothing half-stored: every screening has its two rows and its photo. A request whose
  // COMMIT raced the shutdown may be stored although it was answered 500 (counted).
  const auto stored = count("SELECT count(*) FROM screenings");
  EXPECT_GE(stored, created);
  EXPECT_EQ(count("SELECT count(*) FROM notifications"), 2 * stored);
  EXPECT_EQ(count("SELECT count(*) FROM screenings s WHERE NOT EXISTS"
                  " (SELECT 1 FROM blobs b WHERE b.sha256 = s.image_sha256)"),
            0);
  EXPECT_GT(unavailable, 0);
  std::printf(
      "[ cluster  ] PostgreSQL restart: %zu requests, %lld answered 201, %lld 503, %lld stored\n",
      answers.size(), static_cast<long long>(created), static_cast<long long>(unavailable),
      static_cast<long long>(stored));
}

TEST(MigrateCommand, CopiesASqliteClinicIntoPostgresqlAndIsSafeToRerun) {
  if (!PgServer::bin_dir()) GTEST_SKIP() << "PostgreSQL server binaries not found";
  skinscan::testing::TempDir dir("migrate_cli");
  const std::string src = (dir / "clinic.db").string();
  {
    store::SqliteStore s(src);
    for (int i = 0; i < 3; ++i) {
      store::NewScreening n;
      n.patient_name = "Patient " + std::to_string(i);
      n.patient_phone = "+1415555" + std::to_string(1000 + i);
      n.doctor_name = "Dr. Who";
      n.doctor_phone = "+14155552000";
      const std::string bytes = "photo-" + std::to_string(i);
      n.image_sha256 = store::sha256_hex(bytes);
      n.image_format = "jpeg";
      n.image_width = n.image_height = 100;
      n.label = "nv";
      n.decision = "diagnosis";
      n.finding = "Melanocytic nevi";
      n.confidence = 0.9;
      n.result_json = "{}";
      n.model_version = "m1";
      s.create_screening(n, notify::Status::kPending,
                         store::Blob{n.image_sha256, "image/jpeg", bytes});
    }
  }
  const std::string url = PgServer::shared().create_database("migrate_cli");
  const std::string cmd = "'" + (skinscan::testing::binary_dir() / "skinscan").string() +
                          "' migrate --from 'sqlite:" + src + "' --to '" + url + "' 2>&1";
  auto [rc, out] = run(cmd);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("screenings: 3 in source, 3 added"), std::string::npos) << out;
  EXPECT_NE(out.find("photos: 3 in source, 3 added"), std::string::npos) << out;
  EXPECT_EQ(PgServer::sql(url, "SELECT count(*) FROM notifications"), "6");
  std::tie(rc, out) = run(cmd);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("screenings: 3 in source, 0 added"), std::string::npos) << out;
  EXPECT_EQ(PgServer::sql(url, "SELECT count(*) FROM screenings"), "3");
  EXPECT_NE(run("'" + (skinscan::testing::binary_dir() / "skinscan").string() +
                "' migrate --from 'sqlite:" + src + "' --to 'sqlite:x.db' 2>&1")
                .first,
            0);
}

}  // namespace
}  // namespace skinscan
