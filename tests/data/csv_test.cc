#include "data/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/error.h"

namespace skinscan {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_csv(text, "t.csv");
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Csv, ParsesQuotedFieldsWithCommasQuotesAndNewlines) {
  const CsvTable t =
      parse_csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n1,,3\n", "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields[0], "x, y");
  EXPECT_EQ(t.rows[0].fields[1], "say \"hi\"");
  EXPECT_EQ(t.rows[0].fields[2], "two\nlines");
  EXPECT_EQ(t.rows[0].line, 2u);
  EXPECT_EQ(t.rows[1].line, 4u);  // the quoted newline counts as a line
  EXPECT_EQ(t.rows[1].fields[1], "");
}

TEST(Csv, StripsBomAndHandlesCrlf) {
  const CsvTable t = parse_csv("\xEF\xBB\xBFid,v\r\n1,a\r\n2,b\r\n", "t.csv");
  ASSERT_EQ(t.header[0], "id");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].fields[1], "b");
  EXPECT_EQ(t.column("v"), 1u);
}

TEST(Csv, LastLineWithoutNewlineAndTrailingBlankLines) {
  EXPECT_EQ(parse_csv("a\n1", "t.csv").rows.size(), 1u);
  EXPECT_EQ(parse_csv("a\n1\n\n\n", "t.csv").rows.size(), 1u);
}

TEST(Csv, EmptyFileIsAnError) {
  EXPECT_THAT(error_of(""), HasSubstr("empty"));
  EXPECT_THAT(error_of("\xEF\xBB\xBF"), HasSubstr("empty"));
  EXPECT_THAT(error_of("\n\n"), HasSubstr("empty"));
}

TEST(Csv, MalformedQuotingNamesTheLine) {
  EXPECT_THAT(error_of("a,b\n1,2\n\"open,3\n"), HasSubstr("t.csv:3: unterminated"));
  EXPECT_THAT(error_of("a,b\n\"x\"y,2\n"), HasSubstr("t.csv:2: unexpected text after"));
  EXPECT_THAT(error_of("a,b\nx\"y,2\n"), HasSubstr("t.csv:2: quote inside"));
}

TEST(Csv, WrongFieldCountNamesTheLine) {
  EXPECT_THAT(error_of("a,b\n1,2\n1,2,3\n"), HasSubstr("t.csv:3: expected 2 fields"));
  EXPECT_THAT(error_of("a,b\n1,2\n\n3,4\n"), HasSubstr("t.csv:3: blank line"));
}

TEST(Csv, MissingColumnAndMissingFile) {
  const CsvTable t = parse_csv("a,b\n1,2\n", "t.csv");
  EXPECT_THROW(t.column("c"), DataError);
  try {
    t.column("c");
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing column 'c'"));
  }
  try {
    read_csv("/nonexistent/x.csv");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/x.csv"));
  }
}

}  // namespace
}  // namespace skinscan
