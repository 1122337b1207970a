#include "data/text.h"

#include <gtest/gtest.h>

namespace skinscan {
namespace {

TEST(Text, NamesAreNfcTrimmedAndOneLine) {
  EXPECT_EQ(check_name("  Ada Lovelace \t").name, "Ada Lovelace");
  EXPECT_EQ(check_name("Zoe\xCC\x88").name, "Zo\xC3\xAB");  // e + combining diaeresis -> ë
  EXPECT_EQ(check_name("\u3000山田 太郎\u00a0").name, "山田 太郎");
  EXPECT_EQ(check_name("می\u200Cخواهم").name, "می\u200Cخواهم");  // ZWNJ inside a word
  EXPECT_EQ(check_name("👩🏽\u200D⚕️ Dr Ng").name, "👩🏽\u200D⚕️ Dr Ng");
}

TEST(Text, NamesThatCouldForgeOrHideTextAreRefused) {
  for (const char* bad : {"Ada\u2028Result: Melanoma", "Ada\u2029x", "Ada\nx", "Ada\rx",
                          "\u202Eadanev", "Ada\u2066x\u2069", "Ada\u200Fx", "\u200B\u200B",
                          "\u200D", "Ada\u200B", "\xEE\x80\x80 private", "12345", "bad\xff"}) {
    const NameCheck c = check_name(bad);
    EXPECT_FALSE(c.name) << bad;
    EXPECT_EQ(c.code, "invalid") << bad;
  }
  EXPECT_EQ(check_name(" \t\u00a0 ").code, "required");
  EXPECT_EQ(check_name(std::string(101, 'a')).code, "too_long");
  EXPECT_TRUE(check_name(std::string(100, 'a')).name);
}

TEST(Text, OneLineNeutralisesEveryLineBreak) {
  EXPECT_EQ(one_line("Ada\u2028Result: Melanoma"), "Ada Result: Melanoma");
  EXPECT_EQ(one_line("a\r\nb\u2029c\u0085d"), "a  b c d");
  EXPECT_EQ(one_line("\u202Eevil\u202C"), "evil");
  EXPECT_EQ(one_line("bad\xff"), "bad\xEF\xBF\xBD");
}

TEST(Text, Utf8AndCaseFolding) {
  EXPECT_TRUE(valid_utf8("Zoë 😀"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));
  EXPECT_EQ(utf8_length("字é😀"), 3u);
  EXPECT_FALSE(utf8_length("\xff"));
  EXPECT_EQ(fold_case("ΣΩΚΡΆΤΗΣ"), fold_case("Σωκράτης"));
  EXPECT_EQ(fold_case("ÉMILE Ꭰ"), fold_case("émile ꭰ"));  // Latin and Cherokee capitals
}

}  // namespace
}  // namespace skinscan
