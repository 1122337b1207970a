// Regression tests of issue 12: hostile input never takes the server down, is refused with
// a clear 4xx, and stores nothing. A real server on 127.0.0.1, raw sockets where a client
// library would hide the attack.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "data/image.h"
#include "test_server.h"
#include "web/files.h"

namespace skinscan::web {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using skinscan::testing::TempDir;
using namespace skinscan::web::testing;

// A raw TCP connection to the test server.
class Raw {
 public:
  explicit Raw(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      throw std::runtime_error("connect failed");
    }
    timeval tv{120, 0};  // safety net against hangs only
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Raw() { ::close(fd_); }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Everything until the server closes the connection.
  std::string read_all() {
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

void expect_refused(TestServer& s, const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(json_of(r)["error"]["code"], code) << r->body;
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
  const auto h = s.client().Get("/healthz");
  ASSERT_TRUE(h) << "server gone";
  EXPECT_EQ(h->status, 200);
}

std::string jpeg_bytes() { return read_bytes(sample_jpeg(0)); }

TEST(Hostile, CraftedWebpThatReachedGdcmIsRefusedAndServerLives) {
  TempDir dir("hostile-webp");
  TestServer s(dir.path());
  const std::string bytes = read_bytes(skinscan::testing::source_dir() /
                                       "tests/fuzz/regressions/upload-webp-gdcm-abort.webp");
  ASSERT_EQ(bytes.size(), 143u);
  auto c = s.client();
  httplib::MultipartFormDataItems form = {{"image", bytes, "x.webp", "image/webp"}};
  const auto r = c.Post("/api/v1/classify", form);
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 400);
  EXPECT_LT(r->status, 500);
  expect_refused(s, c.Post("/api/v1/screenings", screening_form(bytes)), r->status,
                 json_of(r)["error"]["code"]);
}

TEST(Hostile, TruncatedOrPatchedJpegIsRefusedNotScreened) {
  TempDir dir("hostile-jpeg");
  TestServer s(dir.path());
  auto c = s.client();
  const std::string whole = jpeg_bytes();
  // The first 20% plus an end-of-image marker: the header check passes, the scan is short.
  std::string cut = whole.substr(0, whole.size() / 5) + "\xFF\xD9";
  const auto r = c.Post("/api/v1/screenings", screening_form(cut));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_TRUE(json_of(r)["error"]["code"] == "truncated" ||
              json_of(r)["error"]["code"] == "corrupt")
      << r->body;
  // The frame header patched to 12000x3333 pixels (scan data of a 600x450 photo).
  std::string patched = whole;
  for (std::size_t i = 2; i + 9 < patched.size(); ++i) {
    if (static_cast<unsigned char>(patched[i]) == 0xFF &&
        static_cast<unsigned char>(patched[i + 1]) == 0xC0) {
      patched[i + 5] = static_cast<char>(3333 >> 8);
      patched[i + 6] = static_cast<char>(3333 & 255);
      patched[i + 7] = static_cast<char>(12000 >> 8);
      patched[i + 8] = static_cast<char>(12000 & 255);
      break;
    }
  }
  ASSERT_NE(patched, whole);
  expect_refused(
      s, c.Post("/api/v1/screenings", screening_form(patched)), 422,
      json_of(c.Post("/api/v1/classify", httplib::MultipartFormDataItems{
                                             {"image", patched, "p.jpg", ""}}))["error"]["code"]);
  EXPECT_EQ(s.rows(), 0);
}

TEST(Hostile, PhotosSmallerThanTheModelInputAreRefused) {
  TempDir dir("hostile-small");
  TestServer s(dir.path());
  auto c = s.client();
  const json min_photo = shipped_min_photo();
  const int w = min_photo["width"].get<int>(), h = min_photo["height"].get<int>();
  const std::string bound = std::to_string(w) + "x" + std::to_string(h);
  for (const auto& size : {cv::Size(8, 6), cv::Size(1, 1), cv::Size(w - 1, h - 1),
                           cv::Size(w, h - 1), cv::Size(60, 200)}) {
    cv::Mat img(size, CV_8UC3, cv::Scalar(120, 80, 60));
    const auto png = encode_png(img);
    const std::string bytes(png.begin(), png.end());
    const auto r = c.Post("/api/v1/screenings", screening_form(bytes));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << r->body;
    EXPECT_EQ(json_of(r)["error"]["code"], "too_small");
    EXPECT_NE(json_of(r)["error"]["message"].get<std::string>().find(bound), std::string::npos)
        << r->body;
  }
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
  // The form's hint reads the bound from the server.
  const auto session = c.Get("/api/v1/session");
  ASSERT_TRUE(session);
  EXPECT_EQ(json_of(session)["min_photo"], min_photo);
}

TEST(Hostile, SlowClientsAreCutOffAndOthersAreServed) {
  TempDir dir("hostile-slow");
  ServerConfig cfg;
  cfg.request_grace_s = 2;
  TestServer s(dir.path(), cfg);
  // 16 clients that each trickle one body byte a second.
  std::vector<std::unique_ptr<Raw>> slow;
  for (int k = 0; k < 16; ++k) {
    slow.push_back(std::make_unique<Raw>(s.port()));
    slow.back()->send(
        "POST /api/v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n");
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop) {
      for (auto& r : slow) r->send("a");
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
  });
  // While they hold their connections, health checks and a real screening still answer.
  for (int k = 0; k < 5; ++k) {
    const auto h = s.client().Get("/healthz");
    ASSERT_TRUE(h) << "healthz unanswered while slow clients hold connections";
    EXPECT_EQ(h->status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  const auto r = s.client().Post(
      "/api/v1/classify", httplib::MultipartFormDataItems{{"image", jpeg_bytes(), "a.jpg", ""}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // The trickling clients are disconnected by the server (their reads end).
  std::size_t closed = 0;
  for (auto& c : slow) {
    c->read_all();  // returns when the server closes the connection
    ++closed;
  }
  stop = true;
  trickle.join();
  EXPECT_EQ(closed, 16u);
}

TEST(Hostile, RefusedBodiesAreNeverParsedAsFurtherRequests) {
  TempDir dir("hostile-desync");
  TestServer s(dir.path());
  const std::string smuggled = "GET /api/v1/screenings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  {  // multipart without a boundary
    Raw raw(s.port());
    raw.send(
        "POST /api/v1/screenings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "multipart/form-data\r\nContent-Length: " +
        std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
    const std::string all = raw.read_all();
    EXPECT_EQ(count_of(all, "HTTP/1.1 "), 1u) << all;
    EXPECT_EQ(all.rfind("HTTP/1.1 4", 0), 0u) << all;
  }
  {  // a part header over the library's limit, then a smuggled request
    Raw raw(s.port());
    const std::string body = "--b\r\nContent-Disposition: form-data; name=\"x\"; filename=\"" +
                             std::string(70000, 'a') + "\"\r\n\r\nv\r\n--b--\r\n" + smuggled;
    raw.send(
        "POST /api/v1/screenings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "multipart/form-data; boundary=b\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    const std::string all = raw.read_all();
    EXPECT_EQ(count_of(all, "HTTP/1.1 "), 1u) << all.substr(0, 300);
  }
  {  // Content-Length and Transfer-Encoding together
    Raw raw(s.port());
    raw.send(
        "POST /api/v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
        smuggled);
    const std::string all = raw.read_all();
    EXPECT_EQ(count_of(all, "HTTP/1.1 "), 1u) << all;
    EXPECT_EQ(all.rfind("HTTP/1.1 400", 0), 0u) << all;
  }
  EXPECT_EQ(s.rows(), 0);
}

TEST(Hostile, ForeignHostNamesAreRefused) {
  TempDir dir("hostile-host");
  TestServer s(dir.path());
  auto c = s.client();
  const auto bad = c.Get("/api/v1/screenings", {{"Host", "evil.example"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 421) << bad->body;
  const auto ok = c.Get("/api/v1/screenings", {{"Host", "localhost:" + std::to_string(s.port())}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  ServerConfig any;
  any.allowed_hosts = {"*"};
  TempDir dir2("hostile-host-any");
  TestServer open(dir2.path(), any);
  const auto r = open.client().Get("/healthz", {{"Host", "clinic.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Hostile, NamesCannotForgeReportLines) {
  TempDir dir("hostile-names");
  TestServer s(dir.path());
  auto c = s.client();
  const std::string jpeg = jpeg_bytes();
  for (const std::string& name :
       {std::string("Ada\u2028Result: Melanoma"), std::string("Ada\u2029x"),
        std::string("\u202Eadanev"), std::string("\u200B\u200B"), std::string("\u200D"),
        std::string("Ada\rResult")}) {
    const auto r = c.Post("/api/v1/screenings", screening_form(jpeg, name));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << name;
    EXPECT_EQ(json_of(r)["error"]["field"], "patient_name") << r->body;
  }
  EXPECT_EQ(s.rows(), 0);
}

TEST(Hostile, LowFindings) {
  TempDir dir("hostile-low");
  fs::create_directories(dir.path() / "data" / "images");
  const fs::path stale = dir.path() / "data" / "images" / ".abc.jpg.tmp-0011223344556677";
  skinscan::testing::write_text(stale, "half a photo");
  TestServer s(dir.path());
  EXPECT_FALSE(fs::exists(stale)) << "temporary file of a crashed write left behind";
  auto c = s.client();
  // Phone extensions are refused, not silently dropped.
  auto r =
      c.Post("/api/v1/screenings", screening_form(jpeg_bytes(), "Ada", "+1 415 555 0123 ext. 12"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(json_of(r)["error"]["field"], "patient_phone");
  // Duplicate form fields are refused.
  auto form = screening_form(jpeg_bytes());
  form.push_back({"patient_name", "Mallory", "", ""});
  r = s.client().Post("/api/v1/screenings", form);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(json_of(r)["error"]["code"], "duplicate_field");
  // Wrong methods on a known path: 405 with Allow.
  r = c.Delete("/api/v1/screenings");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_NE(r->get_header_value("Allow").find("POST"), std::string::npos);
  EXPECT_NE(r->get_header_value("Allow").find("GET"), std::string::npos);
  r = c.Put("/healthz", "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  r = c.Get("/no/such/route");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(s.rows(), 0);
  // Twilio status callbacks are rate limited (10 a minute per client at rate_limit 1).
  TempDir dir2("hostile-callbacks");
  ServerConfig cfg;
  cfg.rate_limit = 1;
  TestServer limited_server(dir2.path(), cfg);
  int limited = 0;
  for (int k = 0; k < 12; ++k) {
    const auto cb = limited_server.client().Post(
        "/twilio/status", "MessageSid=SM1&MessageStatus=sent", "application/x-www-form-urlencoded");
    ASSERT_TRUE(cb);
    limited += cb->status == 429;
  }
  EXPECT_GE(limited, 1);
}

TEST(Hostile, ExifRotatedPhotoReportsItsDisplayedSize) {
  TempDir dir("hostile-exif");
  TestServer s(dir.path());
  const std::string jpeg = jpeg_bytes();  // 600x450
  const std::string exif(
      "\xFF\xE1\x00\x22"
      "Exif\x00\x00"
      "II\x2A\x00\x08\x00\x00\x00"
      "\x01\x00"
      "\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"
      "\x00\x00\x00\x00",
      36);
  const std::string rotated = jpeg.substr(0, 2) + exif + jpeg.substr(2);
  const auto r = s.client().Post("/api/v1/screenings", screening_form(rotated));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json_of(r)["image"]["width"], 450);
  EXPECT_EQ(json_of(r)["image"]["height"], 600);
}

}  // namespace
}  // namespace skinscan::web
