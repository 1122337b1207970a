#include "data/enum_names.h"

#include <gtest/gtest.h>

namespace skinscan {
namespace {

enum class Shade { kLight, kMid, kDark };
constexpr std::array<Shade, 3> kShades = {Shade::kLight, Shade::kMid, Shade::kDark};
const char* shade_name(Shade s) {
  return s == Shade::kLight ? "light" : s == Shade::kMid ? "mid" : "dark";
}

TEST(EnumNames, EveryNameRoundTripsAndNothingElseMatches) {
  for (Shade s : kShades) EXPECT_EQ(enum_from_name(shade_name(s), kShades, shade_name), s);
  EXPECT_FALSE(enum_from_name("Light", kShades, shade_name).has_value());  // case-sensitive
  EXPECT_FALSE(enum_from_name("", kShades, shade_name).has_value());
  EXPECT_FALSE(enum_from_name("light ", kShades, shade_name).has_value());
}

TEST(EnumNames, NameMapHoldsEveryValueByItsName) {
  const std::map<std::string, Shade> m = enum_name_map(kShades, shade_name);
  ASSERT_EQ(m.size(), kShades.size());
  for (Shade s : kShades) EXPECT_EQ(m.at(shade_name(s)), s);
}

TEST(EnumNames, ChoicesListEveryNameInOrder) {
  EXPECT_EQ(enum_choices(kShades, shade_name), "light, mid or dark");
  constexpr std::array<Shade, 2> two = {Shade::kDark, Shade::kLight};
  EXPECT_EQ(enum_choices(two, shade_name), "dark or light");
  constexpr std::array<Shade, 1> one = {Shade::kMid};
  EXPECT_EQ(enum_choices(one, shade_name), "mid");
}

TEST(EnumNames, UnknownNameThrowsInvalidArgumentNamingTheChoices) {
  EXPECT_EQ(enum_from_name_or_throw("dark", kShades, shade_name, "shade"), Shade::kDark);
  try {
    enum_from_name_or_throw("teal", kShades, shade_name, "shade");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "unknown shade 'teal' (light, mid or dark)");
  }
}

}  // namespace
}  // namespace skinscan
