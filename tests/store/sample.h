// Valid screenings for the store tests, and raw SQL access to a database file.
#pragma once

#include <cstdint>
#include <string>

#include "store/store.h"

namespace skinscan::store::testing {

// A screening that passes validation; name and phone vary per test.
NewScreening sample(const std::string& patient_name = "Ada Lovelace",
                    const std::string& patient_phone = "+14155550123");

// Runs SQL on the file through a separate raw connection (as another process would) and
// returns the first column of the first row as text ("" when no row).
std::string raw_sql(const std::string& db_path, const std::string& sql);
std::int64_t raw_count(const std::string& db_path, const std::string& table);

}  // namespace skinscan::store::testing
