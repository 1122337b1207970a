#include "test_server.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "web/engine_screener.h"

namespace skinscan::web::testing {
namespace fs = std::filesystem;

std::shared_ptr<const Screener> shared_screener() {
  static const std::shared_ptr<const Screener> s =
      EngineScreener::load((skinscan::testing::source_dir() / "models" / "default").string(), 1);
  return s;
}

nlohmann::json shipped_min_photo() {
  std::ifstream in(skinscan::testing::source_dir() / "models" / "default" / "model.json");
  const auto pre = nlohmann::json::parse(in).at("preprocessing");
  const int w = pre.at("width").get<int>(), h = pre.at("height").get<int>();
  return {{"width", std::max(w, h)}, {"height", std::min(w, h)}};
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path sample_jpeg(int i) {
  std::vector<fs::path> all;
  for (const auto& e :
       fs::directory_iterator(skinscan::testing::shared_data() / "full-size-samples")) {
    if (e.path().extension() == ".jpg") all.push_back(e.path());
  }
  std::sort(all.begin(), all.end());
  return all.at(static_cast<std::size_t>(i));
}

fs::path chart_jpeg() {
  return skinscan::testing::shared_data() / "not-lesions" / "chart-bars.jpeg";
}

TestServer::TestServer(const fs::path& dir, ServerConfig cfg, notify::TwilioConfig twilio)
    : dir_(dir) {
  fs::create_directories(dir / "web" / "pages");
  fs::create_directories(dir / "web" / "static");
  for (const char* page : {"index", "screening", "history", "insights", "model", "login"}) {
    skinscan::testing::write_text(
        dir / "web" / "pages" / (std::string(page) + ".html"),
        std::string("<!doctype html><title>") + page + "</title>\n" +
            "<!-- skinscan:header (web/pages/_header.html, inserted by the server) -->\n<main/>");
  }
  skinscan::testing::write_text(dir / "web" / "pages" / "_header.html", "<header>site</header>\n");
  skinscan::testing::write_text(dir / "web" / "static" / "app.css", "body{margin:0}");
  skinscan::testing::write_text(dir / "secret.txt", "do not serve");
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.db = (dir / "skinscan.db").string();
  cfg.data_dir = (dir / "data").string();
  cfg.model = (skinscan::testing::source_dir() / "models" / "default").string();
  cfg.web_root = (dir / "web").string();
  db_path_ = cfg.db;
  store_ = store::open_store(cfg.db);
  server_ = std::make_unique<Server>(cfg, shared_screener(), store_, std::move(twilio));
  port_ = server_->bind();
  thread_ = std::thread([this] { server_->run(); });
}

TestServer::~TestServer() {
  server_->stop();
  thread_.join();
}

httplib::Client TestServer::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(120, 0);  // safety net against hangs, not a limit on behaviour
  c.set_write_timeout(120, 0);
  return c;
}

std::int64_t TestServer::rows() { return store_->list_screenings("", 1).total; }

std::size_t TestServer::image_files() {
  // Photos and overlays are blobs in the database (content-addressed).
  sqlite3* db = nullptr;
  std::size_t n = 0;
  if (sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM blobs", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

httplib::MultipartFormDataItems screening_form(const std::string& image,
                                               const std::string& patient_name,
                                               const std::string& patient_phone,
                                               const std::string& doctor_name,
                                               const std::string& doctor_phone) {
  httplib::MultipartFormDataItems items;
  if (image != kOmit) items.push_back({"image", image, "photo.jpg", "image/jpeg"});
  const std::pair<const char*, const std::string*> fields[] = {{"patient_name", &patient_name},
                                                               {"patient_phone", &patient_phone},
                                                               {"doctor_name", &doctor_name},
                                                               {"doctor_phone", &doctor_phone}};
  for (const auto& [name, value] : fields) {
    if (*value != kOmit) items.push_back({name, *value, "", ""});
  }
  return items;
}

nlohmann::json json_of(const httplib::Result& r) {
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace skinscan::web::testing
