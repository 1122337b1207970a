#include "store/copy.h"

#include <sqlite3.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "store/migrations.h"
#include "store/pg_db.h"
#include "store/pg_store.h"
#include "store/sqlite_db.h"
#include "store/validate.h"

namespace skinscan::store {
namespace {

// Screening columns in a fixed order; both sides print them the same way for the digest.
constexpr const char* kCols =
    "id, created_at, patient_name, patient_name_folded, patient_phone, patient_phone_digits,"
    " doctor_name, doctor_phone, image_sha256, image_format, image_width, image_height, label,"
    " decision, finding, confidence, malignancy_risk, refer, result_json, model_version";
constexpr int kNumCols = 20;

constexpr const char* kNoteCols =
    "id, screening_id, recipient, to_number, status, attempts, twilio_sid, error_code,"
    " error_message, next_attempt_at, delivery_started_at, created_at, updated_at";
constexpr int kNumNoteCols = 13;

using Row = std::vector<std::optional<std::string>>;

// One line per row, fields separated by US (0x1f); NULL is RS (0x1e); reals as %.17g.
std::string line_of(const Row& r) {
  std::string out;
  for (const auto& f : r) {
    out += f ? *f : std::string("\x1e");
    out += '\x1f';
  }
  return out + '\n';
}

std::string real_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Source rows, read through sqlite3 (text, except reals and the refer flag normalised).
std::vector<Row> read_sqlite(const DbRef& ref, const std::string& sql, int cols,
                             const std::set<int>& real_cols) {
  Statement st(ref, sql.c_str(), "read source");
  std::vector<Row> rows;
  while (st.step()) {
    Row r;
    for (int c = 0; c < cols; ++c) {
      if (st.is_null(c)) {
        r.emplace_back(std::nullopt);
      } else if (real_cols.count(c) != 0) {
        r.emplace_back(real_text(st.real(c)));
      } else {
        r.emplace_back(st.text(c));
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<Row> read_pg(PgConn& c, const std::string& sql, int cols,
                         const std::set<int>& real_cols, int bool_col) {
  const auto res = c.exec(sql, {}, "read target");
  std::vector<Row> rows;
  for (int i = 0; i < res.rows(); ++i) {
    Row r;
    for (int col = 0; col < cols; ++col) {
      if (res.is_null(i, col)) {
        r.emplace_back(std::nullopt);
      } else if (real_cols.count(col) != 0) {
        r.emplace_back(real_text(res.real(i, col)));
      } else if (col == bool_col) {
        r.emplace_back(res.boolean(i, col) ? "1" : "0");
      } else {
        r.emplace_back(res.text(i, col));
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<PgParam> params_of(const Row& r, int bool_col) {
  std::vector<PgParam> p;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!r[i]) {
      p.emplace_back();
    } else if (static_cast<int>(i) == bool_col) {
      p.push_back(pg_bool(*r[i] != "0"));
    } else {
      p.push_back(pg_text(*r[i]));
    }
  }
  return p;
}

std::string placeholders(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) s += (i > 1 ? ", $" : "$") + std::to_string(i);
  return s;
}

std::optional<std::string> slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string media_type_of(const std::string& format) {
  return format == "png" ? "image/png" : format == "webp" ? "image/webp" : "image/jpeg";
}

std::string extension_of(const std::string& format) {
  return format == "png" ? "png" : format == "webp" ? "webp" : "jpg";
}

}  // namespace

CopyReport copy_sqlite_to_postgresql(const std::string& sqlite_path, const std::string& pg_url,
                                     const std::filesystem::path& images_dir) {
  CopyReport report;
  // --- source, read-only --------------------------------------------------------------
  sqlite3* src = nullptr;
  const int rc = sqlite3_open_v2(sqlite_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr);
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close_v2(db); }
  } closer{src};
  const DbRef ref{src, &sqlite_path};
  if (rc != SQLITE_OK) fail(ref, "open source", rc);
  Transaction snapshot(ref, Transaction::Kind::kRead, "read source");
  const int version = current_schema_version(ref);
  if (version < 1 || version > latest_schema_version()) {
    throw StoreError("store " + sqlite_path + ": migrate: schema version " +
                     std::to_string(version) + " cannot be copied by this build");
  }
  const auto screenings = read_sqlite(
      ref, std::string("SELECT ") + kCols + " FROM screenings ORDER BY id", kNumCols, {15, 16});
  const auto notes =
      read_sqlite(ref, std::string("SELECT ") + kNoteCols + " FROM notifications ORDER BY id",
                  kNumNoteCols, {});
  // Photos: the blobs table (version 2), else the image files of version 1.
  std::map<std::string, std::pair<std::string, std::string>> photos;  // sha -> (type, bytes)
  for (const auto& s : screenings) {
    const std::string sha = *s[8], format = *s[9];
    if (photos.count(sha) != 0) continue;
    std::optional<std::string> bytes;
    if (version >= 2) {
      Statement b(ref, "SELECT bytes FROM blobs WHERE sha256 = ?", "read source photo");
      b.bind_text(1, sha);
      if (b.step()) bytes = b.blob(0);
    }
    if (!bytes) bytes = slurp(images_dir / (sha + "." + extension_of(format)));
    if (!bytes || sha256_hex(*bytes) != sha) {
      report.missing_photos.push_back(sha);
      continue;
    }
    photos[sha] = {media_type_of(format), std::move(*bytes)};
  }
  snapshot.commit();
  report.screenings = static_cast<std::int64_t>(screenings.size());
  report.notifications = static_cast<std::int64_t>(notes.size());
  report.photos = static_cast<std::int64_t>(photos.size());

  // --- target, one transaction --------------------------------------------------------
  { PgStore migrate_target(pg_url); }  // creates or checks the schema
  PgConn c(pg_url, redact_url(pg_url));
  PgTransaction tx(c, "migrate");
  const std::string label = c.label();
  for (const auto& s : screenings) {
    const auto r = c.exec(std::string("INSERT INTO screenings (") + kCols +
                              ") OVERRIDING SYSTEM VALUE VALUES (" + placeholders(kNumCols) +
                              ") ON CONFLICT (id) DO NOTHING",
                          params_of(s, 17), "migrate screening");
    report.screenings_added += r.affected();
  }
  for (const auto& n : notes) {
    Row row = n;
    row.push_back(*n[4] == "sending" ? std::optional<std::string>("0") : std::nullopt);
    const auto r = c.exec(std::string("INSERT INTO notifications (") + kNoteCols +
                              ", lease_until) OVERRIDING SYSTEM VALUE VALUES (" +
                              placeholders(kNumNoteCols + 1) + ") ON CONFLICT (id) DO NOTHING",
                          params_of(row, -1), "migrate notification");
    report.notifications_added += r.affected();
  }
  for (const auto& [sha, blob] : photos) {
    const auto r = c.exec(
        "INSERT INTO blobs (sha256, media_type, size, bytes, created_at)"
        " VALUES ($1, $2, $3, $4, (extract(epoch FROM now()) * 1000)::bigint)"
        " ON CONFLICT (sha256) DO NOTHING",
        {pg_text(sha), pg_text(blob.first), pg_int(static_cast<std::int64_t>(blob.second.size())),
         pg_bytes(blob.second)},
        "migrate photo");
    report.photos_added += r.affected();
  }
  // New rows continue after the copied ids.
  c.exec_script(
      "SELECT setval(pg_get_serial_sequence('screenings', 'id'),"
      " greatest((SELECT max(id) FROM screenings), 1));"
      " SELECT setval(pg_get_serial_sequence('notifications', 'id'),"
      " greatest((SELECT max(id) FROM notifications), 1))",
      "migrate (sequences)");

  // --- verify inside the transaction: same rows, same bytes ----------------------------
  std::string src_lines, dst_lines;
  for (const auto& s : screenings) src_lines += line_of(s);
  if (!screenings.empty()) {
    const auto target = read_pg(c,
                                std::string("SELECT ") + kCols + " FROM screenings WHERE id <= " +
                                    *screenings.back()[0] + " ORDER BY id",
                                kNumCols, {15, 16}, 17);
    for (const auto& s : target) dst_lines += line_of(s);
  }
  report.screenings_digest = sha256_hex(src_lines);
  if (sha256_hex(dst_lines) != report.screenings_digest) {
    throw StoreError("store " + label +
                     ": migrate: the target's screenings differ from the source's (it holds "
                     "other data under the same ids?); nothing was written");
  }
  std::string src_notes;
  for (const auto& n : notes) src_notes += *n[0] + ":" + *n[1] + ":" + *n[2] + "\n";
  std::string dst_notes;
  if (!notes.empty()) {
    const auto r =
        c.exec("SELECT id, screening_id, recipient FROM notifications WHERE id <= $1 ORDER BY id",
               {pg_text(*notes.back()[0])}, "verify notifications");
    for (int i = 0; i < r.rows(); ++i) {
      dst_notes += r.text(i, 0) + ":" + r.text(i, 1) + ":" + r.text(i, 2) + "\n";
    }
  }
  if (src_notes != dst_notes) {
    throw StoreError("store " + label +
                     ": migrate: the target's notification rows differ from the source's; "
                     "nothing was written");
  }
  const auto bad = c.exec(
      "SELECT count(*) FROM blobs WHERE encode(sha256(bytes), 'hex') <> sha256"
      " OR length(bytes) <> size",
      {}, "verify photos");
  if (bad.int64(0, 0) != 0) {
    throw StoreError("store " + label + ": migrate: photos whose bytes do not match their hash");
  }
  for (const auto& [sha, blob] : photos) {
    const auto r =
        c.exec("SELECT count(*) FROM blobs WHERE sha256 = $1", {pg_text(sha)}, "verify photos");
    if (r.int64(0, 0) != 1) {
      throw StoreError("store " + label + ": migrate: photo " + sha + " missing after copy");
    }
  }
  tx.commit();
  return report;
}

}  // namespace skinscan::store
