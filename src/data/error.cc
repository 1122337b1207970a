#include "data/error.h"

#include <array>
#include <utility>

namespace skinscan {

namespace {

constexpr std::array<std::pair<ErrorCode, const char*>, 14> kNames = {{
    {ErrorCode::kInvalidArgument, "invalid_argument"},
    {ErrorCode::kInvalidData, "invalid_data"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kIo, "io"},
    {ErrorCode::kEmpty, "empty"},
    {ErrorCode::kTooLarge, "too_large"},
    {ErrorCode::kTooSmall, "too_small"},
    {ErrorCode::kUnsupported, "unsupported"},
    {ErrorCode::kTruncated, "truncated"},
    {ErrorCode::kCorrupt, "corrupt"},
    {ErrorCode::kModel, "model"},
    {ErrorCode::kStore, "store"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kInternal, "internal"},
}};

}  // namespace

const char* error_code_name(ErrorCode code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "internal";
}

ErrorCode error_code_from_name(std::string_view name) {
  for (const auto& [c, n] : kNames) {
    if (name == n) return c;
  }
  return ErrorCode::kInternal;
}

}  // namespace skinscan
