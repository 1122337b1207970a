#include "data/csv.h"

#include <fstream>
#include <sstream>

#include "data/error.h"

namespace skinscan {

std::string where(const std::string& file, std::size_t line, const std::string& what) {
  if (line == 0) return file + ": " + what;
  return file + ":" + std::to_string(line) + ": " + what;
}

std::optional<std::size_t> CsvTable::find_column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::size_t CsvTable::column(std::string_view name) const {
  if (auto i = find_column(name)) return *i;
  throw DataError(where(path, 1, "missing column '" + std::string(name) + "'"));
}

namespace {

// Splits text into records. Tracks the 1-based line each record starts on.
std::vector<CsvRow> split_records(std::string_view text, const std::string& path) {
  std::vector<CsvRow> records;
  CsvRow row;
  std::string field;
  std::size_t line = 1;
  row.line = 1;
  bool in_quotes = false;
  bool after_quote = false;  // just closed a quoted field
  bool row_has_content = false;

  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    after_quote = false;
  };
  auto end_row = [&] {
    end_field();
    records.push_back(std::move(row));
    row = CsvRow{};
    row_has_content = false;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF
    if (c == '\n' || c == '\r') {
      end_row();
      ++line;
      row.line = line;
      continue;
    }
    if (c == ',') {
      end_field();
      row_has_content = true;
      continue;
    }
    if (after_quote) {
      throw DataError(where(path, line, "unexpected text after a closing quote"));
    }
    if (c == '"') {
      if (!field.empty()) {
        throw DataError(where(path, line, "quote inside an unquoted field"));
      }
      in_quotes = true;
      row_has_content = true;
      continue;
    }
    field.push_back(c);
    row_has_content = true;
  }
  if (in_quotes) throw DataError(where(path, row.line, "unterminated quoted field"));
  if (row_has_content || !field.empty() || !row.fields.empty()) end_row();
  return records;
}

bool is_blank(const CsvRow& r) { return r.fields.size() == 1 && r.fields[0].empty(); }

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& path) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  CsvTable table;
  table.path = path;
  std::vector<CsvRow> records = split_records(text, path);
  while (!records.empty() && is_blank(records.back())) records.pop_back();
  if (records.empty()) throw DataError(where(path, 0, "file is empty (no header line)"));
  table.header = std::move(records.front().fields);
  for (auto& h : table.header) {
    // Tolerate surrounding spaces in header names only.
    const auto b = h.find_first_not_of(' ');
    const auto e = h.find_last_not_of(' ');
    h = b == std::string::npos ? std::string() : h.substr(b, e - b + 1);
  }
  for (std::size_t i = 1; i < records.size(); ++i) {
    CsvRow& r = records[i];
    if (is_blank(r)) {
      throw DataError(where(path, r.line, "blank line inside the table"));
    }
    if (r.fields.size() != table.header.size()) {
      throw DataError(where(path, r.line,
                            "expected " + std::to_string(table.header.size()) +
                                " fields as in the header, found " +
                                std::to_string(r.fields.size())));
    }
    table.rows.push_back(std::move(r));
  }
  return table;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(where(path, 0, "cannot open file (missing or unreadable)"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

}  // namespace skinscan
