// Charts drawn by the real gnuplot, and the quoting that keeps hostile text out of its
// command lines.
#include "plot/gnuplot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/error.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan::plot {
namespace {

TEST(Gnuplot, WritesAPngAndAnSvgTwinPerChart) {
  testing::TempDir out("plot-render");
  render_charts({{"line", "A line", "", "plot x title " + command_string("x's line") + "\n"},
                 {"bars", "Bars", "",
                  "set style fill solid\nplot '-' with boxes notitle\n1 2\n"
                  "2 3\ne\n"}},
                out.path());
  for (const char* name : {"line", "bars"}) {
    EXPECT_EQ(testing::read_text(out / (std::string(name) + ".png")).substr(1, 3), "PNG") << name;
    EXPECT_THAT(testing::read_text(out / (std::string(name) + ".svg")),
                ::testing::HasSubstr("<svg"))
        << name;
  }
  EXPECT_THAT(testing::read_text(out / "line.svg"), ::testing::HasSubstr("x's line"));
  EXPECT_FALSE(fs::exists(out / ".charts.gp")) << "the script is removed after a success";
}

TEST(Gnuplot, QuotesCommandTextInSingleQuotesAndDataInDoubleQuotes) {
  EXPECT_EQ(command_string("it's `id`"), "'it''s `id`'");
  EXPECT_EQ(command_string("two\nlines"), "'two lines'");
  EXPECT_EQ(data_string("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
}

// Backquoted text in a command line is run by gnuplot's shell unless it is single-quoted:
// a title made of data stays a title.
TEST(Gnuplot, BackquotesInQuotedTitlesAreNotRun) {
  testing::TempDir out("plot-backquote");
  const fs::path marker = out / "pwned";
  const std::string hostile = "`touch " + marker.string() + "`";
  render_charts({{"t", "", "", "set title " + command_string(hostile) + "\nplot x notitle\n"}},
                out.path());
  EXPECT_TRUE(fs::exists(out / "t.png"));
  EXPECT_FALSE(fs::exists(marker)) << "gnuplot ran a backquoted command from a title";
}

TEST(Gnuplot, AFailingScriptThrowsWithGnuplotsMessage) {
  testing::TempDir out("plot-fail");
  try {
    render_charts({{"bad", "", "", "plot no_such_function(x)\n"}}, out.path());
    FAIL() << "expected skinscan::Error";
  } catch (const skinscan::Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("gnuplot failed"));
  }
}

}  // namespace
}  // namespace skinscan::plot
