// Name lookup for the project's option enums (recipe, colour constancy, field of view,
// balance, ...). Each such enum has a name function `const char* name_of(E)` and a constexpr
// std::array of every value; these templates turn the two into the reverse lookup and the
// "a, b or c" list an error message offers, so no enum repeats the loop. Header-only.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "data/error.h"

namespace skinscan {

// The value of `all` whose name_of is exactly `name` (case-sensitive); nullopt for any other.
template <typename E, std::size_t N>
std::optional<E> enum_from_name(std::string_view name, const std::array<E, N>& all,
                                const char* (*name_of)(E)) {
  for (E e : all) {
    if (name == name_of(e)) return e;
  }
  return std::nullopt;
}

// Every value of `all` by its name, e.g. for a CLI option's choices, so the CLI and
// model.json share one definition of each name.
template <typename E, std::size_t N>
std::map<std::string, E> enum_name_map(const std::array<E, N>& all, const char* (*name_of)(E)) {
  std::map<std::string, E> names;
  for (E e : all) names.emplace(name_of(e), e);
  return names;
}

// "a", "a or b", "a, b or c": every name of `all`, in order, for an error message or a help text.
template <typename E, std::size_t N>
std::string enum_choices(const std::array<E, N>& all, const char* (*name_of)(E)) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += name_of(all[i]);
  }
  return out;
}

// enum_from_name, or throws skinscan::Error (invalid_argument): "unknown <what> '<name>'
// (<choices>)".
template <typename E, std::size_t N>
E enum_from_name_or_throw(std::string_view name, const std::array<E, N>& all,
                          const char* (*name_of)(E), std::string_view what) {
  if (auto e = enum_from_name(name, all, name_of)) return *e;
  throw Error(ErrorCode::kInvalidArgument, "unknown " + std::string(what) + " '" +
                                               std::string(name) + "' (" +
                                               enum_choices(all, name_of) + ")");
}

}  // namespace skinscan
