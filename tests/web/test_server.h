// A real SkinScan server on 127.0.0.1 (free port) for the HTTP integration tests: real
// EngineScreener with models/default (loaded once per process), a real SQLite file and
// image folder in a TempDir, and a small web root with pages and a static asset.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "support/paths.h"
#include "web/server.h"

namespace skinscan::web::testing {

std::shared_ptr<const Screener> shared_screener();
std::string read_bytes(const std::filesystem::path& p);
std::filesystem::path sample_jpeg(int i = 0);  // full-size samples, sorted
std::filesystem::path chart_jpeg();            // a not-a-lesion chart image
// The smallest photo models/default screens, read from its model.json (not from the
// server): {"width": longer input side, "height": shorter}.
nlohmann::json shipped_min_photo();

class TestServer {
 public:
  // `dir` holds db, data and web root; it may be shared by a later server (restart).
  explicit TestServer(const std::filesystem::path& dir, ServerConfig cfg = {},
                      notify::TwilioConfig twilio = {});
  ~TestServer();

  httplib::Client client() const;
  int port() const { return port_; }
  store::Store& store() { return *store_; }
  std::filesystem::path images_dir() const { return dir_ / "data" / "images"; }
  std::int64_t rows();        // screenings in the database
  std::size_t image_files();  // stored photos and heatmaps (blobs in the database)

 private:
  std::filesystem::path dir_;
  std::shared_ptr<store::Store> store_;
  std::string db_path_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Multipart form of a screening; fields omitted when the value is nullptr-equivalent "\x01".
httplib::MultipartFormDataItems screening_form(const std::string& image,
                                               const std::string& patient_name = "Ada Lovelace",
                                               const std::string& patient_phone = "+14155550123",
                                               const std::string& doctor_name = "Dr. Grace Hopper",
                                               const std::string& doctor_phone = "(415) 555-0124");
inline const std::string kOmit = "\x01";

nlohmann::json json_of(const httplib::Result& r);

}  // namespace skinscan::web::testing
