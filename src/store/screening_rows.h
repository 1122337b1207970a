// Reading screening and notification rows into their C++ structs (the caller holds the
// store's mutex).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_db.h"

namespace skinscan::store {

std::string reference_for(std::int64_t id);  // "SS-000042"

// The columns read_screening() expects, in order, for "SELECT <these> FROM screenings".
extern const char* const kScreeningColumns;
// Reads the current row of a statement that selected kScreeningColumns (no notifications).
ScreeningRow read_screening(const Statement& st);

// Notification rows, one screening at a time, with one prepared statement reused.
class NotificationReader {
 public:
  explicit NotificationReader(const DbRef& ref);
  std::vector<NotificationRow> of_screening(std::int64_t screening_id);  // patient first

 private:
  Statement st_;
};

// The screening with its notification rows (patient first), or nullopt.
std::optional<ScreeningRow> load_screening(const DbRef& ref, std::int64_t id);

// Notification rows of every screening (by screening, patient first), either all or only
// those with status code `status`.
std::vector<NotificationRow> load_notifications(const DbRef& ref,
                                                std::optional<std::string> status);

}  // namespace skinscan::store
