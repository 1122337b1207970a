// Integration test on the full shared HAM10000 copy: the exact published figures.
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "support/paths.h"

namespace skinscan {
namespace {

TEST(Ham10000, ExactCountsOfTheSharedCopy) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  EXPECT_EQ(ds.layout, Layout::kFlat);
  EXPECT_EQ(ds.samples.size(), 10015u);
  EXPECT_EQ(ds.lesion_count(), 7470u);
  const auto counts = ds.class_counts();
  auto count = [&](const char* code) {
    return counts[static_cast<std::size_t>(*class_from_code(code))];
  };
  EXPECT_EQ(count("nv"), 6705);
  EXPECT_EQ(count("mel"), 1113);
  EXPECT_EQ(count("bkl"), 1099);
  EXPECT_EQ(count("bcc"), 514);
  EXPECT_EQ(count("akiec"), 327);
  EXPECT_EQ(count("vasc"), 142);
  EXPECT_EQ(count("df"), 115);
}

TEST(Ham10000, AllImagesDecodeInParallel) {
  const Dataset ds = open_dataset(testing::ham10000_dir().string());
  LoadOptions opts;
  opts.threads = 2;
  const auto images = load_images(ds, opts);
  ASSERT_EQ(images.size(), 10015u);
  for (const auto& m : images) {
    ASSERT_EQ(m.cols, 200);
    ASSERT_EQ(m.rows, 150);
    ASSERT_EQ(m.type(), CV_8UC3);
  }
}

}  // namespace
}  // namespace skinscan
