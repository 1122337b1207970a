#include "store/name_fold.h"

#include <gtest/gtest.h>

namespace skinscan::store {
namespace {

TEST(NameFold, FoldsLatinGreekAndCyrillicCapitals) {
  EXPECT_EQ(fold_case("ANN Smith"), "ann smith");
  EXPECT_EQ(fold_case("ÉMILE ZOË ÑÚÑEZ ŁUKASZ ŸVES"), "émile zoë ñúñez łukasz ÿves");
  EXPECT_EQ(fold_case("ΣΩΚΡΆΤΗΣ"), "σωκράτησ");
  EXPECT_EQ(fold_case("Σωκράτης"), "σωκράτησ");  // final sigma folds like sigma
  EXPECT_EQ(fold_case("ЖАННА ЁЛКИНА"), "жанна ёлкина");
  EXPECT_EQ(fold_case("×"), "×");  // multiplication sign is not a letter
}

TEST(NameFold, KeepsOtherScriptsAndEmojiAsTheyAre) {
  EXPECT_EQ(fold_case("李小龙 محمد 😀👩🏽‍⚕️"),
            "李小龙 محمد 😀👩🏽‍⚕️");
}

TEST(NameFold, ValidatesUtf8) {
  EXPECT_TRUE(valid_utf8("Zoë 😀"));
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("ab\xe2\x82"));        // truncated
}

TEST(NameFold, DigitsOnly) {
  EXPECT_EQ(digits_only("+1 (415) 555-0123"), "14155550123");
  EXPECT_EQ(digits_only("Ann"), "");
}

}  // namespace
}  // namespace skinscan::store
