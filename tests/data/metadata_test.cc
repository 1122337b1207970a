#include "data/metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/error.h"

namespace skinscan {
namespace {

using ::testing::HasSubstr;

constexpr const char* kHeader = "lesion_id,image_id,dx,dx_type,age,sex,localization\n";

std::vector<Sample> parse(const std::string& body) {
  return metadata_from_table(parse_csv(std::string(kHeader) + body, "meta.csv"));
}

std::string error_of(const std::string& body) {
  try {
    parse(body);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Metadata, ReadsRowsIncludingUnknowns) {
  const auto s = parse(
      "HAM_1,ISIC_1,mel,histo,45.0,male,back\n"
      "HAM_1,ISIC_2,mel,histo,,unknown,unknown\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].dx, *class_from_code("mel"));
  EXPECT_DOUBLE_EQ(*s[0].age, 45.0);
  EXPECT_FALSE(s[1].age.has_value());
  EXPECT_EQ(s[1].sex, "unknown");
  EXPECT_EQ(s[1].localization, "unknown");
}

TEST(Metadata, BadInputNamesFileAndLine) {
  EXPECT_THAT(error_of("HAM_1,ISIC_1,melanoma,histo,45,male,back\n"),
              HasSubstr("meta.csv:2: unknown dx 'melanoma'"));
  EXPECT_THAT(error_of("HAM_1,ISIC_1,mel,histo,45,male,back\nHAM_2,ISIC_1,nv,histo,5,male,back\n"),
              HasSubstr("meta.csv:3: duplicate image_id 'ISIC_1' (first seen on line 2)"));
  EXPECT_THAT(error_of("HAM_1,ISIC_1,mel,histo,forty,male,back\n"),
              HasSubstr("meta.csv:2: age 'forty' is not a number"));
  EXPECT_THAT(error_of("HAM_1,ISIC_1,mel,histo,-3,male,back\n"), HasSubstr("outside"));
  EXPECT_THAT(error_of(",ISIC_1,mel,histo,3,male,back\n"),
              HasSubstr("meta.csv:2: empty lesion_id"));
  EXPECT_THAT(error_of("HAM_1,../etc/x,mel,histo,3,male,back\n"), HasSubstr("not a plain name"));
}

TEST(Metadata, MissingColumnIsNamed) {
  try {
    metadata_from_table(parse_csv("lesion_id,image_id,dx,age,sex,localization\n", "m.csv"));
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("m.csv:1: missing column 'dx_type'"));
  }
}

TEST(Classes, OneDefinitionWithSeedMapping) {
  ASSERT_EQ(kClasses.size(), 7u);
  EXPECT_EQ(class_code(0), "akiec");
  EXPECT_EQ(class_name(*class_from_code("nv")), "Melanocytic nevi");
  int malignant = 0;
  for (const auto& c : kClasses) malignant += c.malignant;
  EXPECT_EQ(malignant, 3);
  EXPECT_TRUE(class_malignant(*class_from_code("bcc")));
  // Seed hmnist labels: 0 akiec, 1 bcc, 2 bkl, 3 df, 4 nv, 5 vasc, 6 mel.
  EXPECT_EQ(class_code(*class_from_hmnist_label(4)), "nv");
  EXPECT_EQ(class_code(*class_from_hmnist_label(5)), "vasc");
  EXPECT_EQ(class_code(*class_from_hmnist_label(6)), "mel");
  EXPECT_FALSE(class_from_hmnist_label(7).has_value());
  EXPECT_FALSE(class_from_code("MEL").has_value());
}

}  // namespace
}  // namespace skinscan
