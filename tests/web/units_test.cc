// Torch-free parts of the web stage: validation, files, rate limiting, metrics, JSON shapes.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "data/error.h"
#include "support/paths.h"
#include "web/api_json.h"
#include "web/files.h"
#include "web/metrics.h"
#include "web/rate_limiter.h"
#include "web/server_config.h"
#include "web/validation.h"

namespace skinscan::web {
namespace {
namespace fs = std::filesystem;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Validation, NamesAreTrimmedAndCountedInCodePoints) {
  std::vector<FieldError> e;
  EXPECT_EQ(validate_name("  Ada Lovelace \t", "patient_name", e), "Ada Lovelace");
  EXPECT_EQ(validate_name("\u3000山田 太郎\u00a0", "patient_name", e), "山田 太郎");
  EXPECT_EQ(validate_name(repeat("字", 100), "doctor_name", e), repeat("字", 100));
  EXPECT_EQ(validate_name(repeat("é", 100), "doctor_name", e), repeat("é", 100));
  EXPECT_TRUE(e.empty());
  EXPECT_FALSE(validate_name(repeat("字", 101), "doctor_name", e));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, "too_long");
  EXPECT_EQ(e[0].field, "doctor_name");
}

TEST(Validation, NameErrors) {
  std::vector<FieldError> e;
  EXPECT_FALSE(validate_name("", "patient_name", e));
  EXPECT_FALSE(validate_name(" \t\u00a0 ", "patient_name", e));
  EXPECT_FALSE(validate_name("bad\xff", "patient_name", e));
  EXPECT_FALSE(validate_name("line\nbreak", "patient_name", e));
  EXPECT_FALSE(validate_name("\xc0\x80", "patient_name", e));  // overlong NUL
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].code, "required");
  EXPECT_EQ(e[1].code, "required");
  EXPECT_EQ(e[2].code, "invalid");
  EXPECT_EQ(e[3].code, "invalid");
  EXPECT_EQ(e[4].code, "invalid");
}

TEST(Validation, PhonesNormaliseToE164) {
  std::vector<FieldError> e;
  EXPECT_EQ(validate_phone("(415) 555-0124", "US", "patient_phone", e), "+14155550124");
  EXPECT_EQ(validate_phone(" +91 98765 43210 ", "US", "patient_phone", e), "+919876543210");
  EXPECT_EQ(validate_phone("01512 3456789", "DE", "patient_phone", e), "+4915123456789");
  EXPECT_TRUE(e.empty());
  EXPECT_FALSE(validate_phone("12345", "US", "doctor_phone", e));
  EXPECT_FALSE(validate_phone("call me", "US", "doctor_phone", e));
  EXPECT_FALSE(validate_phone("+447700900123", "US", "doctor_phone", e));  // not assignable
  EXPECT_FALSE(validate_phone("  ", "US", "doctor_phone", e));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].code, "invalid_phone");
  EXPECT_EQ(e[1].code, "invalid_phone");
  EXPECT_EQ(e[2].code, "invalid_phone");
  EXPECT_EQ(e[3].code, "required");
  EXPECT_EQ(e[3].field, "doctor_phone");
}

TEST(Files, Sha256MatchesKnownVector) {
  const std::string abc = "abc";
  EXPECT_EQ(sha256_hex({reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

TEST(Files, AtomicWriteLeavesOnlyTheFinalFile) {
  testing::TempDir dir("web-files-atomic");
  const std::vector<std::uint8_t> bytes = {1, 2, 3, 4};
  write_file_atomic(dir / "a.bin", bytes);
  write_file_atomic(dir / "a.bin", bytes);  // replaces
  EXPECT_EQ(read_file(dir / "a.bin"), std::string("\x01\x02\x03\x04"));
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    (void)entry;
    ++n;
  }
  EXPECT_EQ(n, 1);
  EXPECT_THROW(write_file_atomic(dir / "missing" / "a.bin", bytes), std::runtime_error);
}

TEST(Files, ResolveUnderRefusesTraversal) {
  testing::TempDir dir("web-files-resolve");
  testing::write_text(dir / "root" / "app.css", "x");
  testing::write_text(dir / "root" / "vendor" / "chart.umd.js", "x");
  testing::write_text(dir / "secret.txt", "s");
  fs::create_symlink(dir / "secret.txt", dir / "root" / "link.txt");
  const fs::path root = dir / "root";
  EXPECT_TRUE(resolve_under(root, "app.css"));
  EXPECT_TRUE(resolve_under(root, "vendor/chart.umd.js"));
  for (const char* bad :
       {"../secret.txt", "vendor/../../secret.txt", "/etc/passwd", "", "vendor//chart.umd.js",
        "./app.css", ".hidden", "link.txt", "vendor", "..\\secret.txt", "missing.css"}) {
    EXPECT_FALSE(resolve_under(root, bad)) << bad;
  }
  EXPECT_EQ(mime_for("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_for("a.exe"), "application/octet-stream");
}

TEST(RateLimiter, TokenBucketPerKey) {
  RateLimiter limiter(2);  // 2 per minute, burst 2
  const auto t0 = RateLimiter::Clock::now();
  EXPECT_EQ(limiter.acquire("a", t0), 0);
  EXPECT_EQ(limiter.acquire("a", t0), 0);
  const int wait = limiter.acquire("a", t0);
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, 30);
  EXPECT_EQ(limiter.acquire("b", t0), 0);                             // other clients unaffected
  EXPECT_EQ(limiter.acquire("a", t0 + std::chrono::seconds(31)), 0);  // refilled
  RateLimiter off(0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(off.acquire("a", t0), 0);
}

TEST(Metrics, RendersCountersHistogramsAndGauges) {
  Metrics m;
  m.observe("/api/v1/classify", "POST", 200, 0.02);
  m.observe("/api/v1/classify", "POST", 200, 3.0);
  const std::string text = m.render({{"skinscan_screenings", "x", {{"decision=\"nv\"", 2}}}});
  EXPECT_NE(text.find("skinscan_http_requests_total{route=\"/api/v1/classify\",method=\"POST\","
                      "status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("skinscan_http_request_duration_seconds_bucket{route=\"/api/v1/classify\","
                      "le=\"0.025\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("skinscan_http_request_duration_seconds_count{route=\"/api/v1/classify\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("skinscan_screenings{decision=\"nv\"} 2"), std::string::npos);
  EXPECT_EQ(route_label("/api/v1/screenings/42/heatmap.png"),
            "/api/v1/screenings/{id}/heatmap.png");
  EXPECT_EQ(route_label("/screenings/7"), "/screenings/{id}");
  EXPECT_EQ(route_label("/static/vendor/chart.umd.js"), "/static/*");
  EXPECT_EQ(route_label("/wp-admin"), "other");
}

TEST(ApiJson, OverallWordFollowsTheSeedApp) {
  using notify::Status;
  const auto rows = [](Status a, Status b) {
    std::vector<store::NotificationRow> r(2);
    r[0].status = a;
    r[1].status = b;
    return r;
  };
  // Not configured is its own neutral state (nothing failed); no rows: nothing was sent.
  EXPECT_EQ(overall_word(rows(Status::kNotConfigured, Status::kNotConfigured)), "Not configured");
  EXPECT_EQ(overall_word({}), "Not sent");
  EXPECT_EQ(overall_word(rows(Status::kDelivered, Status::kFailed)), "Failed");
  EXPECT_EQ(overall_word(rows(Status::kQueued, Status::kRead)), "Success");
  EXPECT_EQ(overall_word(rows(Status::kSent, Status::kPending)), "Pending");
  const auto body = error_body({{"required", "is required", "image"}, {"too_long", "x", ""}});
  EXPECT_EQ(body["error"]["field"], "image");
  EXPECT_TRUE(body["errors"][1]["field"].is_null());
}

TEST(ServerConfig, FlagsBeatEnvironmentBeatFile) {
  testing::TempDir dir("web-config");
  const fs::path file = dir / "skinscan.conf";
  testing::write_text(file,
                      "SKINSCAN_PORT=9000\nSKINSCAN_DB=file.db\nSKINSCAN_RATE_LIMIT=5\n"
                      "SKINSCAN_DEFAULT_REGION=GB\n");
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  ::setenv("SKINSCAN_DB", "env.db", 1);
  const Settings s = Settings::load(file.string());
  ServerFlags flags;
  flags.port = "0";
  const ServerConfig c = resolve_server_config(s, flags, "models/x", "web");
  ::unsetenv("SKINSCAN_DB");
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.db, "env.db");
  EXPECT_EQ(c.rate_limit, 5);
  EXPECT_EQ(c.default_region, "GB");
  EXPECT_EQ(c.model, "models/x");
  EXPECT_EQ(c.host, "127.0.0.1");
  flags.port = "70000";
  EXPECT_THROW(resolve_server_config(s, flags, "m", "w"), skinscan::Error);
  flags.port.reset();
  flags.region = "XX";
  EXPECT_THROW(resolve_server_config(s, flags, "m", "w"), skinscan::Error);
}

}  // namespace
}  // namespace skinscan::web
