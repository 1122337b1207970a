#include "eda/stats.h"

#include <gtest/gtest.h>

namespace skinscan::eda {
namespace {

Sample make(const char* lesion, const char* image, const char* dx, std::optional<double> age,
            const char* sex, const char* loc, const char* dx_type = "histo") {
  return Sample{lesion, image, *class_from_code(dx), dx_type, age, sex, loc, ""};
}

TEST(EdaStats, CountsEveryChartInput) {
  Dataset ds;
  ds.samples = {
      make("L1", "I1", "mel", 42, "male", "back"),
      make("L1", "I2", "mel", 42, "male", "back"),
      make("L2", "I3", "nv", 3, "female", "face", "follow_up"),
      make("L3", "I4", "nv", std::nullopt, "unknown", "back", "consensus"),
      make("L4", "I5", "bcc", 80, "female", "face"),
      make("L5", "I6", "bcc", 84.9, "male", "scalp"),
  };
  const Stats s = compute_stats(ds);
  EXPECT_EQ(s.images, 6);
  EXPECT_EQ(s.lesions, 5);
  EXPECT_EQ(s.class_counts[static_cast<std::size_t>(*class_from_code("mel"))], 2);
  EXPECT_EQ(s.sex_counts.at("male"), 3);
  EXPECT_EQ(s.sex_counts.at("female"), 2);
  EXPECT_EQ(s.sex_counts.at("unknown"), 1);
  EXPECT_EQ(s.age_unknown, 1);
  ASSERT_EQ(s.age_bins.size(), 17u);   // 0-4 .. 80-84
  EXPECT_EQ(s.age_bins[0].count, 1);   // age 3
  EXPECT_EQ(s.age_bins[8].count, 2);   // 40-44
  EXPECT_EQ(s.age_bins[16].count, 2);  // 80 and 84.9
  ASSERT_EQ(s.localization_by_sex.size(), 3u);
  EXPECT_EQ(s.localization_by_sex[0].localization, "back");  // 3 images, sorted first
  EXPECT_EQ(s.localization_by_sex[0].by_sex.at("male"), 2);
  EXPECT_EQ(s.localization_by_sex[0].by_sex.at("unknown"), 1);
  EXPECT_EQ(s.localization_by_sex[2].localization, "scalp");
  EXPECT_EQ(s.images_per_lesion.at(1), 4);
  EXPECT_EQ(s.images_per_lesion.at(2), 1);
  const auto nv = static_cast<std::size_t>(*class_from_code("nv"));
  EXPECT_EQ(s.dx_type_by_class[nv].at("follow_up"), 1);
  EXPECT_EQ(s.dx_type_by_class[nv].at("consensus"), 1);
  EXPECT_EQ(s.age_unknown_by_class[nv], 1);

  const auto j = to_json(s);
  EXPECT_EQ(j["class_counts"]["mel"], 2);
  EXPECT_EQ(j["age_unknown"], 1);
  EXPECT_EQ(j["images_per_lesion"]["2"], 1);
  EXPECT_EQ(j["localization_by_sex"][0]["localization"], "back");
}

}  // namespace
}  // namespace skinscan::eda
