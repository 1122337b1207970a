// Error type of the data stage. Every message names the file and, where there is one,
// the line, so a user can fix the input without reading code.
#pragma once

#include <stdexcept>
#include <string>

namespace skinscan {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<file>:<line>: <what>" (line omitted when 0).
std::string where(const std::string& file, std::size_t line, const std::string& what);

}  // namespace skinscan
