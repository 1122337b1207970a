// THE error type of SkinScan: every failure a caller can act on is a skinscan::Error with a
// stable machine-readable code and a message for people (naming the file and, where there is
// one, the line). The stage-specific classes below are the same family, so one catch of
// `const Error&` sees them all. Codes map to HTTP statuses in one place
// (web/http_reply.cc: http_status_for) and to process exit codes in one place
// (cli/main.cc: exit_code_for).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace skinscan {

enum class ErrorCode {
  kInvalidArgument,  // "invalid_argument": a bad option, setting or call
  kInvalidData,      // "invalid_data": an input file's content is wrong (CSV, metadata, split)
  kNotFound,         // "not_found": a file or record that does not exist
  kIo,               // "io": reading or writing failed
  kEmpty,            // image codes (data/image.h): "empty", "too_large", "too_small",
  kTooLarge,         //   "unsupported", "truncated", "corrupt"
  kTooSmall,
  kUnsupported,
  kTruncated,
  kCorrupt,
  kModel,        // "model": a model directory is missing, incomplete or incompatible
  kStore,        // "store": the database refused or failed
  kUnavailable,  // "unavailable": a dependency (database, Twilio) cannot be reached now
  kInternal,     // "internal": a bug
};

// The stable code string ("invalid_argument", "truncated", ...).
const char* error_code_name(ErrorCode code);
// The code of a code string; kInternal for an unknown string.
ErrorCode error_code_from_name(std::string_view name);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] ErrorCode code() const { return code_; }
  [[nodiscard]] const char* code_name() const { return error_code_name(code_); }

 private:
  ErrorCode code_;
};

// Errors of the data stage (input files). Code kInvalidData unless given.
class DataError : public Error {
 public:
  explicit DataError(const std::string& message, ErrorCode code = ErrorCode::kInvalidData)
      : Error(code, message) {}
};

// "<file>:<line>: <what>" (line omitted when 0).
std::string where(const std::string& file, std::size_t line, const std::string& what);

}  // namespace skinscan
