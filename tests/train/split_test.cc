#include "train/split.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "data/error.h"
#include "support/paths.h"

namespace skinscan {
namespace {

const Dataset& ham() {
  static const Dataset ds = open_dataset(testing::ham10000_dir().string());
  return ds;
}

void expect_lesion_grouped(const Dataset& ds, const Split& s) {
  std::map<std::string, Part> seen;
  for (std::size_t i = 0; i < ds.samples.size(); ++i) {
    auto [it, inserted] = seen.emplace(ds.samples[i].lesion_id, s.parts[i]);
    ASSERT_EQ(it->second, s.parts[i]) << "lesion " << ds.samples[i].lesion_id << " straddles";
  }
}

TEST(Split, LesionGroupedStratifiedAndDeterministic) {
  const Dataset& ds = ham();
  const Split a = make_split(ds);
  const Split b = make_split(ds);
  EXPECT_EQ(a.parts, b.parts);
  SplitOptions other;
  other.seed = 43;
  EXPECT_NE(make_split(ds, other).parts, a.parts);
  expect_lesion_grouped(ds, a);
  // Each class contributes ~10% of its lesions to test, so test class shares match the data.
  std::vector<int> all(kNumClasses), test(kNumClasses), val(kNumClasses);
  for (std::size_t i = 0; i < ds.samples.size(); ++i) {
    const auto c = static_cast<std::size_t>(ds.samples[i].dx);
    ++all[c];
    if (a.parts[i] == Part::kTest) ++test[c];
    if (a.parts[i] == Part::kVal) ++val[c];
  }
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const double share = static_cast<double>(test[c]) / all[c];
    EXPECT_GT(share, 0.05) << class_code(static_cast<ClassId>(c));
    EXPECT_LT(share, 0.16) << class_code(static_cast<ClassId>(c));
    EXPECT_GT(val[c], 0) << class_code(static_cast<ClassId>(c));
  }
  const auto n_test = a.indices(Part::kTest).size();
  EXPECT_GT(n_test, 850u);
  EXPECT_LT(n_test, 1150u);
}

TEST(Split, StratifiesEvenWithOneLesionPerClass) {
  Dataset ds;
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    for (int l = 0; l < 2; ++l) {  // two lesions per class, two images each
      for (int k = 0; k < 2; ++k) {
        ds.samples.push_back(Sample{"L" + std::to_string(c) + "_" + std::to_string(l),
                                    "I" + std::to_string(c) + std::to_string(l) + std::to_string(k),
                                    static_cast<ClassId>(c),
                                    "",
                                    {},
                                    "",
                                    "",
                                    ""});
      }
    }
  }
  SplitOptions o;
  o.val_fraction = 0;
  const Split s = make_split(ds, o);
  expect_lesion_grouped(ds, s);
  std::vector<int> test(kNumClasses);
  for (std::size_t i : s.indices(Part::kTest)) ++test[static_cast<std::size_t>(ds.samples[i].dx)];
  for (int n : test) EXPECT_EQ(n, 2);  // exactly one lesion (2 images) of every class
}

TEST(Split, AdoptsReferenceCsvAndRoundTripsThroughJson) {
  const Dataset& ds = ham();
  const Split s = split_from_csv(ds, (testing::ham10000_dir() / "reference_split.csv").string());
  EXPECT_EQ(s.indices(Part::kTest).size(), 1006u);
  EXPECT_EQ(s.indices(Part::kTrain).size() + s.indices(Part::kVal).size(), 9009u);
  expect_lesion_grouped(ds, s);
  testing::TempDir dir("split");
  save_split(s, (dir / "s.json").string());
  const Split back = align_split(load_split((dir / "s.json").string()), ds);
  EXPECT_EQ(back.parts, s.parts);
  EXPECT_EQ(back.fingerprint(), s.fingerprint());
}

TEST(Split, RefusesStraddlingLesionsAndOtherData) {
  const Dataset& ds = ham();
  testing::TempDir dir("split-bad");
  // HAM_0000118 has images ISIC_0027419 and ISIC_0025030: put them on different sides.
  std::string csv = "image_id,split\n";
  for (const auto& x : ds.samples) {
    csv += x.image_id + "," + (x.image_id == "ISIC_0025030" ? "test" : "train") + "\n";
  }
  testing::write_text(dir / "bad.csv", csv);
  try {
    split_from_csv(ds, (dir / "bad.csv").string());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("HAM_0000118 has images on both sides"));
  }
  Dataset other = ds;
  other.samples.pop_back();
  EXPECT_THROW(align_split(make_split(ds), other), DataError);
}

// Five cross-validation folds of the reference split's train rows: every train row is in
// exactly one fold's validation part, lesions never straddle train and validation, each
// fold holds about a fifth of every class, and the test rows are excluded from all folds.
TEST(Split, CrossValidationFoldsPartitionTheTrainRowsAndExcludeTest) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  const Split ref = split_from_csv(ds, (testing::ham10000_dir() / "reference_split.csv").string());
  const std::size_t test_rows = ref.indices(Part::kTest).size();
  std::vector<int> times_val(ds.samples.size(), 0);
  for (int k = 0; k < 5; ++k) {
    const Split f = cross_validation_fold(ds, ref, k, 5, 7);
    EXPECT_TRUE(f.indices(Part::kTest).empty());
    EXPECT_EQ(f.indices(Part::kExcluded), ref.indices(Part::kTest));
    std::map<std::string, Part> lesion_part;
    std::vector<int> val_counts(kNumClasses, 0), all_counts(kNumClasses, 0);
    for (std::size_t i = 0; i < ds.samples.size(); ++i) {
      if (f.parts[i] == Part::kExcluded) continue;
      ++all_counts[static_cast<std::size_t>(ds.samples[i].dx)];
      if (f.parts[i] == Part::kVal) {
        ++times_val[i];
        ++val_counts[static_cast<std::size_t>(ds.samples[i].dx)];
      }
      const auto [it, fresh] = lesion_part.emplace(ds.samples[i].lesion_id, f.parts[i]);
      EXPECT_TRUE(fresh || it->second == f.parts[i]) << ds.samples[i].lesion_id;
    }
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      const double share = static_cast<double>(val_counts[c]) / all_counts[c];
      EXPECT_GT(share, 0.12) << kClasses[c].code;
      EXPECT_LT(share, 0.28) << kClasses[c].code;
    }
    // Round trip through the file format keeps the excluded rows.
    testing::TempDir dir("cv");
    save_split(f, (dir / "f.json").string());
    EXPECT_EQ(load_split((dir / "f.json").string()).fingerprint(), f.fingerprint());
  }
  std::size_t in_one = 0;
  for (std::size_t i = 0; i < ds.samples.size(); ++i) {
    if (ref.parts[i] == Part::kTest) {
      EXPECT_EQ(times_val[i], 0);
    } else {
      EXPECT_EQ(times_val[i], 1) << ds.samples[i].image_id;
      ++in_one;
    }
  }
  EXPECT_EQ(in_one + test_rows, ds.samples.size());
  EXPECT_THROW(cross_validation_fold(ds, ref, 5, 5, 7), DataError);
  EXPECT_THROW(cross_validation_fold(ds, ref, 0, 1, 7), DataError);
}

}  // namespace
}  // namespace skinscan
