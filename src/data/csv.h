// A small RFC 4180 CSV reader: quoted fields with "" escapes and embedded commas or
// newlines, a UTF-8 byte-order mark, and LF or CRLF line ends.
//
// Contract: read_csv throws DataError naming the file and line for a missing or empty
// file, an unterminated quote, stray text after a closing quote, or a row whose field
// count differs from the header. Rows are never silently dropped; blank lines at the
// very end of the file are ignored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skinscan {

struct CsvRow {
  std::size_t line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::string path;  // for error messages
  std::vector<std::string> header;
  std::vector<CsvRow> rows;

  // Index of column `name`; throws DataError naming the file if it is absent.
  std::size_t column(std::string_view name) const;
  std::optional<std::size_t> find_column(std::string_view name) const;
};

// Parses CSV text; `path` is only used in error messages.
CsvTable parse_csv(std::string_view text, const std::string& path);

// Reads and parses a file.
CsvTable read_csv(const std::string& path);

}  // namespace skinscan
