#include "store/sample.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace skinscan::store::testing {

NewScreening sample(const std::string& patient_name, const std::string& patient_phone) {
  NewScreening s;
  s.patient_name = patient_name;
  s.patient_phone = patient_phone;
  s.doctor_name = "Dr. Grace Hopper";
  s.doctor_phone = "+447700900123";
  s.image_sha256 = std::string(64, 'a');
  s.image_format = "jpeg";
  s.image_width = 600;
  s.image_height = 450;
  s.label = "nv";
  s.decision = "diagnosis";
  s.finding = "Melanocytic nevi";
  s.confidence = 0.91;
  s.malignancy_risk = 0.05;
  s.refer = false;
  s.result_json = R"({"label":"nv","confidence":0.91})";
  s.model_version = "2026.11.1";
  return s;
}

std::string raw_sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  std::string first;
  auto cb = [](void* out, int n, char** values, char**) {
    auto* s = static_cast<std::string*>(out);
    if (s->empty() && n > 0 && values[0] != nullptr) *s = values[0];
    return 0;
  };
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), cb, &first, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << " in: " << sql;
  sqlite3_free(err);
  sqlite3_close(db);
  return first;
}

std::int64_t raw_count(const std::string& db_path, const std::string& table) {
  return std::stoll(raw_sql(db_path, "SELECT count(*) FROM " + table));
}

}  // namespace skinscan::store::testing
