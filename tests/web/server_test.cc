// HTTP integration tests: a real server on 127.0.0.1, the shipped model, a real SQLite file.
#include <cmath>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "notify/signature.h"
#include "test_server.h"
#include "web/files.h"
#include "web/openapi.h"

namespace skinscan::web {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using skinscan::testing::TempDir;
using namespace skinscan::web::testing;

std::string sha_of(const std::string& s) {
  return sha256_hex({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

void expect_error(const httplib::Result& r, int status, const std::string& code,
                  const std::string& field) {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  const json j = json_of(r);
  ASSERT_TRUE(j.is_object()) << r->body;
  EXPECT_EQ(j["error"]["code"], code) << r->body;
  if (field.empty()) {
    EXPECT_TRUE(j["error"]["field"].is_null()) << r->body;
  } else {
    EXPECT_EQ(j["error"]["field"], field) << r->body;
  }
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_TRUE(j["errors"].is_array());
}

TEST(WebServer, HappyPathStoresEverything) {
  TempDir dir("web-happy");
  TestServer s(dir.path());
  auto c = s.client();
  const std::string jpeg = read_bytes(sample_jpeg(0));
  const auto r =
      c.Post("/api/v1/screenings", screening_form(jpeg, "  Ada Lovelace ", "+1 415 555 0123",
                                                  "Dr. Grace Hopper", "(415) 555-0124"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(r->get_header_value("Location"), "/api/v1/screenings/1");
  const json j = json_of(r);
  EXPECT_EQ(j["id"], 1);
  EXPECT_EQ(j["reference"], "SS-000001");
  EXPECT_EQ(j["created_at"].get<std::string>().size(), 20u);  // 2026-11-26T05:01:02Z
  EXPECT_EQ(j["patient"], json({{"name", "Ada Lovelace"}, {"phone", "+14155550123"}}));
  EXPECT_EQ(j["doctor"], json({{"name", "Dr. Grace Hopper"}, {"phone", "+14155550124"}}));
  EXPECT_EQ(j["image"]["sha256"], sha_of(jpeg));
  EXPECT_EQ(j["image"]["format"], "jpeg");
  EXPECT_EQ(j["image"]["width"], 600);
  EXPECT_EQ(j["image"]["height"], 450);
  EXPECT_EQ(j["image"]["url"], "/api/v1/screenings/1/image");
  EXPECT_EQ(j["heatmap_url"], "/api/v1/screenings/1/heatmap.png");
  const json& res = j["result"];
  const std::set<std::string> codes = {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"};
  EXPECT_TRUE(codes.count(res["label"].get<std::string>()));
  EXPECT_TRUE(res["name"].is_string());
  const std::string decision = res["decision"];
  EXPECT_TRUE(decision == "diagnosis" || decision == "no_disease" || decision == "inconclusive")
      << decision;
  EXPECT_EQ(res["words"], res["decision_text"]);
  if (res["refer"] == true) {
    EXPECT_EQ(res["words"].get<std::string>().find("No disease"), std::string::npos);
  }
  const double conf = res["confidence"];
  EXPECT_GT(conf, 0.0);
  EXPECT_LE(conf, 1.0);
  double sum = 0;
  ASSERT_EQ(res["probabilities"].size(), 7u);
  for (const auto& [k, v] : res["probabilities"].items()) {
    EXPECT_TRUE(codes.count(k));
    sum += v.get<double>();
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(res["probabilities"][res["label"].get<std::string>()].get<double>(), conf, 1e-12);
  EXPECT_EQ(res["top3"].size(), 3u);
  EXPECT_NEAR(res["malignancy_risk"].get<double>(),
              res["probabilities"]["mel"].get<double>() +
                  res["probabilities"]["bcc"].get<double>() +
                  res["probabilities"]["akiec"].get<double>(),
              1e-9);
  EXPECT_TRUE(res["refer"].is_boolean());
  EXPECT_TRUE(res["model"]["name"].is_string());
  EXPECT_TRUE(res["model"]["version"].is_string());
  EXPECT_EQ(res["disclaimer"], "Screening aid, not a diagnosis.");
  ASSERT_EQ(j["notifications"].size(), 2u);
  EXPECT_EQ(j["notifications"][0]["recipient"], "patient");
  EXPECT_EQ(j["notifications"][0]["to"], "+14155550123");
  EXPECT_EQ(j["notifications"][0]["status"], "not_configured");
  EXPECT_EQ(j["notifications"][1]["recipient"], "doctor");
  EXPECT_EQ(j["notifications"][1]["to"], "+14155550124");
  EXPECT_EQ(j["notifications"][1]["status"], "not_configured");
  EXPECT_EQ(j["overall"], "Not configured");  // its own neutral state, not "Failed"

  // Stored: one row, the image under its hash, and the same object when read back.
  EXPECT_EQ(s.rows(), 1);
  EXPECT_EQ(s.store().get_blob(sha_of(jpeg)).value_or(store::Blob{}).bytes, jpeg);
  const auto got = c.Get("/api/v1/screenings/1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(json_of(got), j);
  const auto img = c.Get("/api/v1/screenings/1/image");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->status, 200);
  EXPECT_EQ(img->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(img->body, jpeg);
}

struct FieldCase {
  const char* name;
  std::string image, patient_name, patient_phone, doctor_name, doctor_phone;
  const char* code;
  const char* field;
};

TEST(WebServer, EveryValidationErrorIs422WithItsFieldAndStoresNothing) {
  TempDir dir("web-validation");
  TestServer s(dir.path());
  auto c = s.client();
  const std::string jpeg = read_bytes(sample_jpeg(0));
  const std::string n = "Ada", p = "+14155550123";
  std::string long_name;
  for (int i = 0; i < 101; ++i) long_name += "ब";  // 101 code points, any script
  const std::vector<FieldCase> cases = {
      {"no image", kOmit, n, p, n, p, "required", "image"},
      {"empty image", "", n, p, n, p, "empty", "image"},
      {"no patient name", jpeg, kOmit, p, n, p, "required", "patient_name"},
      {"blank patient name", jpeg, "   ", p, n, p, "required", "patient_name"},
      {"long patient name", jpeg, long_name, p, n, p, "too_long", "patient_name"},
      {"no patient phone", jpeg, n, kOmit, n, p, "required", "patient_phone"},
      {"bad patient phone", jpeg, n, "12345", n, p, "invalid_phone", "patient_phone"},
      {"no doctor name", jpeg, n, p, kOmit, p, "required", "doctor_name"},
      {"long doctor name", jpeg, n, p, long_name, p, "too_long", "doctor_name"},
      {"no doctor phone", jpeg, n, p, n, kOmit, "required", "doctor_phone"},
      {"bad doctor phone", jpeg, n, p, n, "not a number", "invalid_phone", "doctor_phone"},
  };
  for (const FieldCase& fc : cases) {
    SCOPED_TRACE(fc.name);
    const auto r =
        c.Post("/api/v1/screenings", screening_form(fc.image, fc.patient_name, fc.patient_phone,
                                                    fc.doctor_name, fc.doctor_phone));
    expect_error(r, 422, fc.code, fc.field);
  }
  // Everything wrong at once: every field listed.
  const auto all = c.Post("/api/v1/screenings", screening_form(kOmit, kOmit, "1", "", "x"));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->status, 422);
  std::set<std::string> fields;
  const json all_body = json_of(all);
  for (const auto& e : all_body["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"image", "patient_name", "patient_phone", "doctor_name",
                                           "doctor_phone"}));
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
}

TEST(WebServer, OversizeUploadIs413) {
  TempDir dir("web-oversize");
  TestServer s(dir.path());
  auto c = s.client();
  // An image part just over 10 MiB (JPEG magic, then padding): refused by size.
  std::string big = read_bytes(sample_jpeg(0));
  big.resize((10u << 20) + 1000, '\0');
  expect_error(c.Post("/api/v1/screenings", screening_form(big)), 413, "too_large", "image");
  // A whole request far over the limit: refused before the body is parsed.
  std::string huge(12u << 20, 'x');
  const auto r = c.Post("/api/v1/classify", screening_form(huge));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(json_of(r)["error"]["code"], "too_large");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
}

TEST(WebServer, WrongTypeIs415) {
  TempDir dir("web-type");
  TestServer s(dir.path());
  auto c = s.client();
  expect_error(c.Post("/api/v1/screenings", screening_form("just some text\n")), 415, "unsupported",
               "image");
  expect_error(c.Post("/api/v1/screenings", screening_form("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")),
               415, "unsupported", "image");
  expect_error(c.Post("/api/v1/classify", "{\"image\": \"x\"}", "application/json"), 415,
               "unsupported_media_type", "");
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
}

TEST(WebServer, TruncatedJpegIs422Truncated) {
  TempDir dir("web-truncated");
  TestServer s(dir.path());
  auto c = s.client();
  std::string jpeg = read_bytes(sample_jpeg(1));
  jpeg.resize(jpeg.size() / 2);
  expect_error(c.Post("/api/v1/screenings", screening_form(jpeg)), 422, "truncated", "image");
  expect_error(c.Post("/api/v1/classify", screening_form(jpeg)), 422, "truncated", "image");
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
}

TEST(WebServer, ChartIsNotALesion) {
  TempDir dir("web-chart");
  TestServer s(dir.path());
  auto c = s.client();
  const auto r = c.Post("/api/v1/screenings", screening_form(read_bytes(chart_jpeg())));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const json j = json_of(r);
  EXPECT_EQ(j["result"]["decision"], "not_a_lesion");
  EXPECT_EQ(j["result"]["words"], "Not a skin-lesion photo \u2014 please retake the photo");
  EXPECT_EQ(j["result"]["refer"], false);
  EXPECT_EQ(j["result"]["confidence_text"], "");  // no disease named
  // Kept for audit, but no WhatsApp report to anyone.
  EXPECT_EQ(j["notifications"].size(), 0u);
  EXPECT_EQ(j["overall"], "Not sent");
  EXPECT_EQ(s.store().list_notifications(std::nullopt).size(), 0u);
}

// Issue 11's invariant through the API: the decision, its words and the refer flag agree
// for real uploads; a referral is never worded "No disease"; the confidence says what it is
// of, and the model's fitted operating point is reported.
TEST(WebServer, ApiResultsNeverWordAReferralNoDisease) {
  TempDir dir("web-invariant");
  TestServer s(dir.path());
  auto c = s.client();
  std::set<std::string> decisions;
  for (int i = 0; i < 8; ++i) {
    const auto r = c.Post("/api/v1/screenings", screening_form(read_bytes(sample_jpeg(i))));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const json res = json_of(r)["result"];
    const std::string decision = res["decision"], words = res["words"];
    decisions.insert(decision);
    if (res["refer"] == true) {
      EXPECT_NE(decision, "no_disease");
      EXPECT_EQ(words.find("No disease"), std::string::npos) << words;
    }
    if (decision == "inconclusive") {
      EXPECT_EQ(res["refer"], true);
    }
    if (decision == "no_disease") {
      EXPECT_EQ(words, "No disease detected");
      EXPECT_LT(res["malignancy_risk"].get<double>(), res["no_disease_max_risk"].get<double>());
    }
    const int pct = static_cast<int>(std::lround(res["confidence"].get<double>() * 100));
    EXPECT_EQ(res["confidence_text"].get<std::string>().rfind(std::to_string(pct) + "% ", 0), 0u)
        << res["confidence_text"];
    EXPECT_LE(res["no_disease_max_risk"].get<double>(), 0.30);  // never above the refer risk
  }
  EXPECT_GE(decisions.size(), 2u);
}

TEST(WebServer, ClassifyStoresNothing) {
  TempDir dir("web-classify");
  TestServer s(dir.path());
  auto c = s.client();
  httplib::MultipartFormDataItems form = {
      {"image", read_bytes(sample_jpeg(2)), "x.jpg", "application/octet-stream"}};
  const auto r = c.Post("/api/v1/classify", form);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json_of(r);
  EXPECT_EQ(j["result"]["probabilities"].size(), 7u);
  EXPECT_TRUE(j["result"]["words"].is_string());
  EXPECT_EQ(j["result"]["disclaimer"], "Screening aid, not a diagnosis.");
  EXPECT_EQ(s.rows(), 0);
  EXPECT_EQ(s.image_files(), 0u);
}

TEST(WebServer, ConcurrentUploadsAreAllStored) {
  TempDir dir("web-concurrent");
  TestServer s(dir.path());
  std::vector<std::string> images;
  for (int i = 0; i < 8; ++i) images.push_back(read_bytes(sample_jpeg(i)));
  std::vector<int> status(8, 0);
  std::vector<std::int64_t> ids(8, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto c = s.client();
      const auto r = c.Post(
          "/api/v1/screenings",
          screening_form(images[static_cast<std::size_t>(i)], "Patient " + std::to_string(i)));
      if (r) {
        status[static_cast<std::size_t>(i)] = r->status;
        ids[static_cast<std::size_t>(i)] = json_of(r).value("id", std::int64_t{0});
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(status[static_cast<std::size_t>(i)], 201) << i;
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), 8u);
  EXPECT_EQ(s.rows(), 8);
  EXPECT_EQ(s.image_files(), 8u);
}

TEST(WebServer, SameImageTwiceIsStoredOnce) {
  TempDir dir("web-dedupe");
  TestServer s(dir.path());
  auto c = s.client();
  const std::string jpeg = read_bytes(sample_jpeg(3));
  for (int i = 0; i < 2; ++i) {
    const auto r = c.Post("/api/v1/screenings", screening_form(jpeg));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201);
  }
  EXPECT_EQ(s.rows(), 2);
  EXPECT_EQ(s.image_files(), 1u);
}

TEST(WebServer, RestartKeepsHistory) {
  TempDir dir("web-restart");
  json first;
  {
    TestServer s(dir.path());
    auto c = s.client();
    const auto r = c.Post("/api/v1/screenings", screening_form(read_bytes(sample_jpeg(4))));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201);
    first = json_of(r);
  }
  TestServer s(dir.path());
  auto c = s.client();
  const auto list = c.Get("/api/v1/screenings");
  ASSERT_TRUE(list);
  const json j = json_of(list);
  EXPECT_EQ(j["total"], 1);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0], first);
  const auto img = c.Get("/api/v1/screenings/1/image");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->body, read_bytes(sample_jpeg(4)));
}

TEST(WebServer, ListSearchAndPagination) {
  TempDir dir("web-list");
  TestServer s(dir.path());
  auto c = s.client();
  // Two real uploads with distinct patients, then rows written straight to the store.
  ASSERT_EQ(c.Post("/api/v1/screenings",
                   screening_form(read_bytes(sample_jpeg(5)), "Zoë Ångström", "+447911123456"))
                ->status,
            201);
  const json template_row = json_of(c.Get("/api/v1/screenings/1"));
  store::NewScreening ns;
  const store::ScreeningRow base = *s.store().get_screening(1);
  ns = base;
  for (int i = 0; i < 24; ++i) {
    ns.patient_name = "Filler " + std::to_string(i);
    ns.patient_phone = "+1415555" + std::to_string(1000 + i);
    s.store().create_screening(ns, notify::Status::kNotConfigured);
  }
  const json p1 = json_of(c.Get("/api/v1/screenings?page=1"));
  EXPECT_EQ(p1["total"], 25);
  EXPECT_EQ(p1["page"], 1);
  EXPECT_EQ(p1["page_size"], 20);
  ASSERT_EQ(p1["items"].size(), 20u);
  EXPECT_EQ(p1["items"][0]["patient"]["name"], "Filler 23");  // newest first
  const json p2 = json_of(c.Get("/api/v1/screenings?page=2"));
  ASSERT_EQ(p2["items"].size(), 5u);
  EXPECT_EQ(p2["items"][4]["id"], 1);
  EXPECT_EQ(p2["items"][4], template_row);
  EXPECT_EQ(json_of(c.Get("/api/v1/screenings?page=3"))["items"].size(), 0u);

  const json by_name = json_of(c.Get("/api/v1/screenings?query=zo%C3%AB"));
  ASSERT_EQ(by_name["total"], 1);
  EXPECT_EQ(by_name["items"][0]["patient"]["name"], "Zoë Ångström");
  const json by_digits = json_of(c.Get("/api/v1/screenings?query=7911123"));
  EXPECT_EQ(by_digits["total"], 1);
  const json filler = json_of(c.Get("/api/v1/screenings?query=FILLER%202"));
  EXPECT_EQ(filler["total"], 5);  // Filler 2, 20, 21, 22, 23
  EXPECT_EQ(json_of(c.Get("/api/v1/screenings?query=nobody"))["total"], 0);
  // By reference, in the forms people type it (issue 11).
  for (const char* q : {"SS-000001", "ss-1", "SS000001"}) {
    const json by_ref = json_of(c.Get(std::string("/api/v1/screenings?query=") + q));
    ASSERT_EQ(by_ref["total"], 1) << q;
    EXPECT_EQ(by_ref["items"][0]["reference"], "SS-000001");
  }
  EXPECT_EQ(json_of(c.Get("/api/v1/screenings?query=SS-000026"))["total"], 0);
  // Filters by decision and by the refer flag.
  const std::string d = base.decision;
  EXPECT_EQ(json_of(c.Get("/api/v1/screenings?decision=" + d))["total"], 25);
  EXPECT_EQ(json_of(c.Get("/api/v1/screenings?decision=not_a_lesion"))["total"], 0);
  EXPECT_EQ(json_of(c.Get(std::string("/api/v1/screenings?refer=") +
                          (base.refer ? "true" : "false")))["total"],
            25);
  EXPECT_EQ(json_of(c.Get(std::string("/api/v1/screenings?refer=") +
                          (base.refer ? "false" : "true")))["total"],
            0);
  EXPECT_EQ(json_of(c.Get("/api/v1/screenings?query=filler&decision=" + d))["total"], 24);
  expect_error(c.Get("/api/v1/screenings?decision=maybe"), 400, "bad_request", "decision");
  expect_error(c.Get("/api/v1/screenings?refer=yes"), 400, "bad_request", "refer");
  expect_error(c.Get("/api/v1/screenings?page=0"), 400, "bad_request", "page");
  expect_error(c.Get("/api/v1/screenings?page=abc"), 400, "bad_request", "page");
}

TEST(WebServer, HeatmapIsACachedPng) {
  TempDir dir("web-heatmap");
  TestServer s(dir.path());
  auto c = s.client();
  ASSERT_EQ(c.Post("/api/v1/screenings", screening_form(read_bytes(sample_jpeg(6))))->status, 201);
  const auto r = c.Get("/api/v1/screenings/1/heatmap.png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  ASSERT_GT(r->body.size(), 1000u);
  EXPECT_EQ(r->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(s.image_files(), 2u);  // the upload and its cached overlay
  const auto again = c.Get("/api/v1/screenings/1/heatmap.png");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, r->body);
}

TEST(WebServer, UnknownThingsAre404) {
  TempDir dir("web-404");
  TestServer s(dir.path());
  auto c = s.client();
  expect_error(c.Get("/api/v1/screenings/999"), 404, "not_found", "");
  expect_error(c.Get("/api/v1/screenings/999/heatmap.png"), 404, "not_found", "");
  expect_error(c.Get("/api/v1/screenings/999/image"), 404, "not_found", "");
  expect_error(c.Get("/api/v1/nothing"), 404, "not_found", "");
  expect_error(c.Get("/static/missing.css"), 404, "not_found", "");
  EXPECT_EQ(c.Get("/screenings/abc")->status, 404);
  // A browser gets a page with a heading, not raw JSON (issue 11).
  const httplib::Headers browser = {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};
  for (const char* path : {"/nothing/here", "/screenings/99999"}) {
    const auto r = c.Get(path, browser);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_NE(r->body.find("<h1>"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("not found"), std::string::npos) << r->body;
  }
}

TEST(WebServer, PagesAssetsAndPathTraversal) {
  TempDir dir("web-pages");
  TestServer s(dir.path());
  auto c = s.client();
  ASSERT_EQ(c.Post("/api/v1/screenings", screening_form(read_bytes(sample_jpeg(5))))->status, 201);
  for (const char* path : {"/", "/history", "/insights", "/model", "/login", "/screenings/1"}) {
    const auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(r->get_header_value("Set-Cookie").rfind("skinscan_csrf=", 0), 0u) << path;
  }
  const std::string page = c.Get("/screenings/1")->body;
  EXPECT_NE(page.find("<title>screening</title>"), std::string::npos);
  EXPECT_NE(page.find("<header>site</header>\n<main/>"), std::string::npos) << page;
  EXPECT_EQ(page.find("skinscan:header"), std::string::npos) << "marker left in the page";
  const auto css = c.Get("/static/app.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(css->body, "body{margin:0}");
  // The client sends these paths as written (no normalisation).
  for (const char* path : {"/static/../secret.txt", "/static/%2e%2e/secret.txt",
                           "/static/..%2f..%2fsecret.txt", "/static/%2e%2e%2f%2e%2e%2fsecret.txt",
                           "/static//etc/passwd", "/static/../pages/index.html"}) {
    const auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 200) << path;
    EXPECT_EQ(r->body.find("do not serve"), std::string::npos) << path;
  }
}

TEST(WebServer, SecurityHeadersOnEveryResponse) {
  TempDir dir("web-headers");
  TestServer s(dir.path());
  auto c = s.client();
  for (const char* path : {"/healthz", "/", "/api/v1/screenings", "/api/v1/screenings/5", "/x"}) {
    const auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->get_header_value("Content-Security-Policy"),
              "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src "
              "'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action "
              "'self'")
        << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r->get_header_value("Cross-Origin-Opener-Policy"), "same-origin");
    EXPECT_EQ(r->get_header_value("Permissions-Policy"),
              "camera=(), microphone=(), geolocation=()");
  }
}

TEST(WebServer, CsrfTokenAndOriginChecked) {
  TempDir dir("web-csrf");
  TestServer s(dir.path());
  auto c = s.client();
  const auto form = [] {
    return httplib::MultipartFormDataItems{{"image", read_bytes(sample_jpeg(0)), "a.jpg", ""}};
  };
  // A browser with cookies but without the header: refused, nothing screened.
  expect_error(c.Post("/api/v1/classify", {{"Cookie", "skinscan_csrf=abc123"}}, form()), 403,
               "csrf", "");
  expect_error(c.Post("/api/v1/classify",
                      {{"Cookie", "skinscan_csrf=abc123"}, {"X-CSRF-Token", "wrong"}}, form()),
               403, "csrf", "");
  expect_error(c.Post("/api/v1/screenings", {{"Cookie", "other=1"}}, screening_form("x")), 403,
               "csrf", "");
  // Matching header: accepted.
  const auto ok = c.Post("/api/v1/classify",
                         {{"Cookie", "skinscan_csrf=abc123"}, {"X-CSRF-Token", "abc123"}}, form());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  // Another site's Origin: refused even with the token.
  expect_error(c.Post("/api/v1/classify",
                      {{"Cookie", "skinscan_csrf=abc123"},
                       {"X-CSRF-Token", "abc123"},
                       {"Origin", "http://evil.example"}},
                      form()),
               403, "csrf", "");
  const std::string own = "http://127.0.0.1:" + std::to_string(s.port());
  EXPECT_EQ(c.Post("/api/v1/classify", {{"Origin", own}}, form())->status, 200);
  // API clients without cookies are unaffected.
  EXPECT_EQ(c.Post("/api/v1/classify", form())->status, 200);
  EXPECT_EQ(s.rows(), 0);
}

TEST(WebServer, AuthWithTokenAndLoginCookie) {
  TempDir dir("web-auth");
  ServerConfig cfg;
  cfg.api_token = "s3cret-token";
  TestServer s(dir.path(), cfg);
  auto c = s.client();
  // Health checks, login page, assets and the session state are public.
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  EXPECT_EQ(c.Get("/readyz")->status, 200);
  EXPECT_EQ(c.Get("/login")->status, 200);
  EXPECT_EQ(c.Get("/static/app.css")->status, 200);
  EXPECT_EQ(json_of(c.Get("/api/v1/session")), json({{"auth_required", true},
                                                     {"authenticated", false},
                                                     {"default_region", "US"},
                                                     {"min_photo", shipped_min_photo()}}));
  // Everything else needs the token.
  expect_error(c.Get("/api/v1/screenings"), 401, "unauthorized", "");
  expect_error(c.Get("/metrics"), 401, "unauthorized", "");
  expect_error(c.Post("/api/v1/classify", screening_form(read_bytes(sample_jpeg(0)))), 401,
               "unauthorized", "");
  const auto page = c.Get("/history");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 302);
  EXPECT_EQ(page->get_header_value("Location"), "/login?next=/history");
  expect_error(c.Get("/api/v1/screenings", {{"Authorization", "Bearer wrong"}}), 401,
               "unauthorized", "");
  EXPECT_EQ(c.Get("/api/v1/screenings", {{"Authorization", "Bearer s3cret-token"}})->status, 200);
  EXPECT_EQ(c.Post("/api/v1/classify", {{"Authorization", "Bearer s3cret-token"}},
                   screening_form(read_bytes(sample_jpeg(0))))
                ->status,
            200);
  // Login: wrong token 401, right token 204 + HttpOnly session cookie.
  expect_error(c.Post("/api/v1/session", R"({"token":"nope"})", "application/json"), 401,
               "unauthorized", "token");
  expect_error(c.Post("/api/v1/session", "not json", "application/json"), 400, "bad_request",
               "token");
  const auto login = c.Post("/api/v1/session", R"({"token":"s3cret-token"})", "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 204);
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  const std::string session = set_cookie.substr(0, set_cookie.find(';'));
  ASSERT_EQ(session.rfind("skinscan_session=", 0), 0u);
  const httplib::Headers with_cookie = {{"Cookie", session}};
  EXPECT_EQ(c.Get("/api/v1/screenings", with_cookie)->status, 200);
  EXPECT_EQ(c.Get("/history", with_cookie)->status, 200);
  EXPECT_EQ(json_of(c.Get("/api/v1/session", with_cookie))["authenticated"], true);
  // A cookie-authenticated POST still needs the CSRF header.
  expect_error(c.Post("/api/v1/classify", with_cookie, screening_form("x")), 403, "csrf", "");
  // Logout ends the session.
  EXPECT_EQ(c.Delete("/api/v1/session",
                     {{"Cookie", session + "; skinscan_csrf=t"}, {"X-CSRF-Token", "t"}})
                ->status,
            204);
  expect_error(c.Get("/api/v1/screenings", with_cookie), 401, "unauthorized", "");
}

TEST(WebServer, NoAuthWhenNoToken) {
  TempDir dir("web-noauth");
  TestServer s(dir.path());
  auto c = s.client();
  EXPECT_EQ(json_of(c.Get("/api/v1/session")), json({{"auth_required", false},
                                                     {"authenticated", false},
                                                     {"default_region", "US"},
                                                     {"min_photo", shipped_min_photo()}}));
  EXPECT_EQ(c.Get("/api/v1/screenings")->status, 200);
  EXPECT_EQ(c.Get("/history")->status, 200);
}

TEST(WebServer, RateLimitedPostsGet429WithRetryAfter) {
  TempDir dir("web-ratelimit");
  ServerConfig cfg;
  cfg.rate_limit = 2;
  TestServer s(dir.path(), cfg);
  auto c = s.client();
  EXPECT_EQ(c.Post("/api/v1/classify", screening_form(""))->status, 422);
  EXPECT_EQ(c.Post("/api/v1/classify", screening_form(""))->status, 422);
  const auto r = c.Post("/api/v1/classify", screening_form(""));
  expect_error(r, 429, "rate_limited", "");
  const int retry = std::stoi(r->get_header_value("Retry-After"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 30);
  EXPECT_EQ(c.Get("/api/v1/screenings")->status, 200);  // reads are not limited
}

TEST(WebServer, HealthReadinessModelAndInsights) {
  TempDir dir("web-ops");
  TestServer s(dir.path());
  auto c = s.client();
  EXPECT_EQ(json_of(c.Get("/healthz")), json({{"status", "ok"}}));
  const auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  const json model = json_of(c.Get("/api/v1/model"));
  EXPECT_TRUE(model.contains("version"));
  EXPECT_TRUE(model.contains("arch"));
  const json eda = json_of(c.Get("/api/v1/insights"));
  EXPECT_TRUE(eda.contains("class_counts"));
  EXPECT_TRUE(eda.contains("classes"));
}

TEST(WebServer, MetricsCountRequestsAndScreenings) {
  TempDir dir("web-metrics");
  TestServer s(dir.path());
  auto c = s.client();
  ASSERT_EQ(c.Post("/api/v1/screenings", screening_form(read_bytes(chart_jpeg())))->status, 201);
  c.Get("/api/v1/screenings/1");
  c.Get("/api/v1/screenings/77");
  c.Get("/no/such/route");
  const auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
  const std::string& m = r->body;
  EXPECT_NE(m.find("skinscan_http_requests_total{route=\"/api/v1/screenings\",method=\"POST\","
                   "status=\"201\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("skinscan_http_requests_total{route=\"/api/v1/screenings/{id}\",method=\"GET\","
                   "status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("skinscan_http_requests_total{route=\"/api/v1/screenings/{id}\",method=\"GET\","
                   "status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("skinscan_http_requests_total{route=\"other\",method=\"GET\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("skinscan_http_request_duration_seconds_count{route=\"/api/v1/screenings\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("skinscan_screenings{decision=\"not_a_lesion\"} 1"), std::string::npos) << m;
  // Nothing is ever sent about a photo that is not a lesion: no notification rows at all.
  EXPECT_EQ(m.find("skinscan_messages{status="), std::string::npos) << m;
}

TEST(WebServer, OpenApiDescribesEveryRoute) {
  TempDir dir("web-openapi");
  TestServer s(dir.path());
  auto c = s.client();
  const auto r = c.Get("/api/v1/openapi.json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json doc = json_of(r);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const std::vector<std::pair<std::string, std::string>> served = {
      {"post", "/api/v1/screenings"},
      {"get", "/api/v1/screenings"},
      {"get", "/api/v1/screenings/{id}"},
      {"get", "/api/v1/screenings/{id}/image"},
      {"get", "/api/v1/screenings/{id}/heatmap.png"},
      {"post", "/api/v1/classify"},
      {"get", "/api/v1/model"},
      {"get", "/api/v1/insights"},
      {"get", "/api/v1/session"},
      {"post", "/api/v1/session"},
      {"delete", "/api/v1/session"},
      {"get", "/api/v1/openapi.json"},
      {"get", "/healthz"},
      {"get", "/readyz"},
      {"get", "/metrics"},
      {"post", "/twilio/status"},
      {"get", "/"},
      {"get", "/screenings/{id}"},
      {"get", "/history"},
      {"get", "/insights"},
      {"get", "/model"},
      {"get", "/login"},
      {"get", "/static/{path}"}};
  for (const auto& [method, path] : served) {
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    const json& op = doc["paths"][path][method];
    EXPECT_TRUE(op.is_object()) << method << " " << path;
    EXPECT_TRUE(op["responses"].is_object()) << method << " " << path;
  }
  EXPECT_EQ(documented_routes().size(), served.size());
  const json& post = doc["paths"]["/api/v1/screenings"]["post"];
  const json& props = post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"];
  for (const char* f : {"image", "patient_name", "patient_phone", "doctor_name", "doctor_phone"}) {
    EXPECT_TRUE(props.contains(f)) << f;
  }
}

TEST(WebServer, TwilioCallbackWithoutCredentialsIs403) {
  TempDir dir("web-twilio");
  TestServer s(dir.path());
  auto c = s.client();
  const auto r = c.Post("/twilio/status", "MessageSid=SM1&MessageStatus=delivered",
                        "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

// With Twilio configured (pointed at a closed local port: nothing leaves this machine), new
// notifications start pending, and signed status callbacks update what the API shows.
TEST(WebServer, TwilioConfiguredPendingAndSignedCallbacks) {
  TempDir dir("web-twilio-on");
  notify::TwilioConfig twilio;
  twilio.account_sid = "ACtest";
  twilio.auth_token = "test-auth-token";
  twilio.whatsapp_from = "whatsapp:+14155238886";
  twilio.api_base = "http://127.0.0.1:9";
  TestServer s(dir.path(), {}, twilio);
  auto c = s.client();
  const auto r = c.Post("/api/v1/screenings", screening_form(read_bytes(sample_jpeg(8))));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const json j = json_of(r);
  EXPECT_EQ(j["notifications"][0]["status"], "pending");
  EXPECT_EQ(j["notifications"][1]["status"], "pending");
  EXPECT_EQ(j["overall"], "Pending");

  // A row Twilio accepted (written straight to the store), then its delivery callback.
  store::NewScreening ns = *s.store().get_screening(1);
  const auto row = s.store().create_screening(ns, notify::Status::kNotConfigured);
  s.store().mark_accepted(row.notifications[0].id, "SMtest0001", notify::Status::kQueued);
  const std::string url = "http://127.0.0.1:" + std::to_string(s.port()) + "/twilio/status";
  const notify::FormParams params = {{"MessageSid", "SMtest0001"}, {"MessageStatus", "delivered"}};
  const std::string body = "MessageSid=SMtest0001&MessageStatus=delivered";
  const auto bad = c.Post("/twilio/status", {{"X-Twilio-Signature", "bm90IGl0"}}, body,
                          "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 403);
  const auto ok =
      c.Post("/twilio/status",
             {{"X-Twilio-Signature", notify::twilio_signature(twilio.auth_token, url, params)}},
             body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204) << ok->body;
  const json after = json_of(c.Get("/api/v1/screenings/" + std::to_string(row.id)));
  EXPECT_EQ(after["notifications"][0]["status"], "delivered");
}

}  // namespace
}  // namespace skinscan::web
