#include "data/metadata.h"

#include <charconv>
#include <unordered_map>

#include "data/error.h"

namespace skinscan {

namespace {

std::optional<double> parse_age(const std::string& text, const std::string& path,
                                std::size_t line) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) {
    throw DataError(where(path, line, "age '" + text + "' is not a number"));
  }
  if (!(value >= 0 && value <= 130)) {
    throw DataError(where(path, line, "age '" + text + "' is outside 0..130"));
  }
  return value;
}

}  // namespace

std::vector<Sample> metadata_from_table(const CsvTable& t) {
  const std::size_t c_lesion = t.column("lesion_id");
  const std::size_t c_image = t.column("image_id");
  const std::size_t c_dx = t.column("dx");
  const std::size_t c_dx_type = t.column("dx_type");
  const std::size_t c_age = t.column("age");
  const std::size_t c_sex = t.column("sex");
  const std::size_t c_loc = t.column("localization");

  std::vector<Sample> out;
  out.reserve(t.rows.size());
  std::unordered_map<std::string, std::size_t> first_line;
  for (const CsvRow& r : t.rows) {
    Sample s;
    s.lesion_id = r.fields[c_lesion];
    s.image_id = r.fields[c_image];
    if (s.lesion_id.empty()) throw DataError(where(t.path, r.line, "empty lesion_id"));
    if (s.image_id.empty()) throw DataError(where(t.path, r.line, "empty image_id"));
    if (s.image_id.find_first_of("/\\") != std::string::npos || s.image_id.starts_with(".")) {
      throw DataError(where(t.path, r.line, "image_id '" + s.image_id + "' is not a plain name"));
    }
    const auto dx = class_from_code(r.fields[c_dx]);
    if (!dx) {
      throw DataError(where(
          t.path, r.line,
          "unknown dx '" + r.fields[c_dx] + "' (expected akiec, bcc, bkl, df, mel, nv or vasc)"));
    }
    s.dx = *dx;
    s.dx_type = r.fields[c_dx_type];
    s.age = parse_age(r.fields[c_age], t.path, r.line);
    s.sex = r.fields[c_sex].empty() ? "unknown" : r.fields[c_sex];
    s.localization = r.fields[c_loc].empty() ? "unknown" : r.fields[c_loc];
    auto [it, inserted] = first_line.emplace(s.image_id, r.line);
    if (!inserted) {
      throw DataError(where(t.path, r.line,
                            "duplicate image_id '" + s.image_id + "' (first seen on line " +
                                std::to_string(it->second) + ")"));
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> read_metadata(const std::string& path) {
  return metadata_from_table(read_csv(path));
}

}  // namespace skinscan
