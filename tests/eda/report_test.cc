// The full EDA report on the shared HAM10000 copy, drawn by the real gnuplot.
#include "eda/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan::eda {
namespace {

TEST(EdaReport, WritesEveryChartJsonAndIndexForHam10000) {
  testing::TempDir out("eda-report");
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  write_report(ds, out.path());
  const std::vector<std::string> charts = {
      "class_frequency",   "sex_distribution", "age_histogram", "localization_by_sex",
      "images_per_lesion", "dx_type_by_class", "age_by_class"};
  const std::string index = testing::read_text(out / "index.html");
  for (const auto& c : charts) {
    const std::string png = testing::read_text(out / (c + ".png"));
    ASSERT_GT(png.size(), 5000u) << c;
    EXPECT_EQ(png.substr(1, 3), "PNG") << c;
    const std::string svg = testing::read_text(out / (c + ".svg"));
    EXPECT_THAT(svg, ::testing::HasSubstr("<svg")) << c;
    EXPECT_THAT(index, ::testing::HasSubstr(c + ".png"));
  }
  // The class chart carries full names; the age chart states the unknown ages.
  EXPECT_THAT(testing::read_text(out / "class_frequency.svg"),
              ::testing::HasSubstr("Melanocytic nevi"));
  EXPECT_THAT(testing::read_text(out / "age_histogram.svg"),
              ::testing::HasSubstr("57 images with unknown age"));

  const auto j = nlohmann::json::parse(testing::read_text(out / "eda.json"));
  EXPECT_EQ(j["images"], 10015);
  EXPECT_EQ(j["lesions"], 7470);
  EXPECT_EQ(j["class_counts"]["nv"], 6705);
  EXPECT_EQ(j["class_counts"]["mel"], 1113);
  EXPECT_EQ(j["class_counts"]["bkl"], 1099);
  EXPECT_EQ(j["class_counts"]["bcc"], 514);
  EXPECT_EQ(j["class_counts"]["akiec"], 327);
  EXPECT_EQ(j["class_counts"]["vasc"], 142);
  EXPECT_EQ(j["class_counts"]["df"], 115);
  int sexes = 0;
  for (const auto& [k, v] : j["sex_counts"].items()) sexes += v.get<int>();
  EXPECT_EQ(sexes, 10015);
  int aged = j["age_unknown"].get<int>();
  for (const auto& b : j["age_bins"]) aged += b["count"].get<int>();
  EXPECT_EQ(aged, 10015);
  int in_lesions = 0, lesions = 0;
  for (const auto& [k, v] : j["images_per_lesion"].items()) {
    in_lesions += std::stoi(k) * v.get<int>();
    lesions += v.get<int>();
  }
  EXPECT_EQ(in_lesions, 10015);
  EXPECT_EQ(lesions, 7470);
  for (const char* key : {"sex_counts", "localization_by_sex", "dx_type_by_class"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

// Issue 12 (local): gnuplot is started without a shell, so an output folder whose name holds
// shell syntax is only a name.
TEST(EdaReport, OutputPathWithShellSyntaxIsNotRunByAShell) {
  testing::TempDir dir("eda-shell");
  const fs::path marker = dir.path() / "pwned";
  const fs::path out = dir.path() / ("charts $(touch " + marker.string() + ") `touch " +
                                     marker.string() + "` ; touch " + marker.string());
  fs::create_directories(out);
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  write_report(ds, out);
  EXPECT_TRUE(fs::exists(out / "class_frequency.png"));
  EXPECT_FALSE(fs::exists(marker)) << "a shell ran a command from the output path";
}

}  // namespace
}  // namespace skinscan::eda
