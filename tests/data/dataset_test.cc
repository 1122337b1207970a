// Loading the three layouts from small fixtures built from real shared HAM10000 images.
#include "data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "data/csv.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan {
namespace {

using ::testing::HasSubstr;

// The first `n` rows of the shared metadata (header included), as text.
std::string metadata_head(std::size_t n) {
  std::ifstream in(testing::ham10000_dir() / kMetadataFile);
  std::string line, out;
  for (std::size_t i = 0; i <= n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

std::vector<std::string> image_ids(const std::string& meta) {
  const CsvTable t = parse_csv(meta, "m");
  std::vector<std::string> ids;
  for (const auto& r : t.rows) ids.push_back(r.fields[t.column("image_id")]);
  return ids;
}

std::string error_of(const fs::path& p) {
  try {
    open_dataset(p.string());
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Dataset, KaggleTwoFolderLayoutLoads) {
  testing::TempDir dir("kaggle");
  const std::string meta = metadata_head(12);
  testing::write_text(dir / kMetadataFile, meta);
  const auto ids = image_ids(meta);
  fs::create_directories(dir / "HAM10000_images_part_1");
  fs::create_directories(dir / "HAM10000_images_part_2");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    fs::copy_file(
        testing::ham10000_dir() / "images" / (ids[i] + ".jpg"),
        dir / (i % 2 ? "HAM10000_images_part_2" : "HAM10000_images_part_1") / (ids[i] + ".jpg"));
  }
  const Dataset ds = open_dataset(dir.path().string());
  EXPECT_EQ(ds.layout, Layout::kKaggle);
  ASSERT_EQ(ds.samples.size(), 12u);
  EXPECT_THAT(ds.samples[1].image_path, HasSubstr("HAM10000_images_part_2"));
  const auto images = load_images(ds);
  ASSERT_EQ(images.size(), 12u);
  for (const auto& m : images) {
    EXPECT_EQ(m.cols, 200);
    EXPECT_EQ(m.type(), CV_8UC3);
  }
}

TEST(Dataset, MissingImagesAreCountedAndNamed) {
  testing::TempDir dir("missing");
  const std::string meta = metadata_head(10);
  testing::write_text(dir / kMetadataFile, meta);
  const auto ids = image_ids(meta);
  fs::create_directories(dir / "images");
  for (std::size_t i = 0; i < 3; ++i) {  // only the first three are present
    fs::copy_file(testing::ham10000_dir() / "images" / (ids[i] + ".jpg"),
                  dir / "images" / (ids[i] + ".jpg"));
  }
  const std::string err = error_of(dir.path());
  EXPECT_THAT(err, HasSubstr("7 of 10 listed images are missing"));
  EXPECT_THAT(err, HasSubstr(ids[3] + ".jpg"));
  EXPECT_THAT(err, HasSubstr(kMetadataFile));
}

TEST(Dataset, DirectoryWithoutDataIsRejectedClearly) {
  testing::TempDir dir("empty");
  EXPECT_THAT(error_of(dir.path()), HasSubstr("not a dataset directory"));
  EXPECT_THAT(error_of(dir / "nope"), HasSubstr("no such file"));
  testing::write_text(dir / kMetadataFile, metadata_head(2));
  EXPECT_THAT(error_of(dir.path()), HasSubstr("no image folder"));
}

TEST(Dataset, HmnistPixelCsvLoadsInRgbOrderWithSeedLabels) {
  testing::TempDir dir("hmnist");
  // Two real images shrunk to 28x28, labelled with the seed's codes 6 (mel) and 4 (nv).
  const std::vector<std::string> ids = {"ISIC_0027419", "ISIC_0024306"};
  const std::vector<int> labels = {6, 4};
  std::ostringstream csv;
  for (int i = 0; i < 28 * 28 * 3; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "pixel%04d,", i);
    csv << name;
  }
  csv << "label\n";
  std::vector<cv::Mat> expected;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    cv::Mat rgb = read_image_rgb((testing::ham10000_dir() / "images" / (ids[k] + ".jpg")).string());
    cv::Mat small;
    cv::resize(rgb, small, cv::Size(28, 28), 0, 0, cv::INTER_AREA);
    expected.push_back(small);
    for (int i = 0; i < 28 * 28 * 3; ++i) csv << int(small.data[i]) << ",";
    csv << labels[k] << "\r\n";
  }
  testing::write_text(dir / kHmnistFile, csv.str());
  for (const fs::path& p : {dir / kHmnistFile, dir.path()}) {
    const Dataset ds = open_dataset(p.string());
    EXPECT_EQ(ds.layout, Layout::kHmnist);
    ASSERT_EQ(ds.samples.size(), 2u);
    EXPECT_EQ(class_code(ds.samples[0].dx), "mel");
    EXPECT_EQ(class_code(ds.samples[1].dx), "nv");
    const auto imgs = load_images(ds);
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(cv::norm(imgs[k], expected[k], cv::NORM_INF), 0.0);
    }
  }
}

TEST(Dataset, HmnistBadValuesNameTheLine) {
  testing::TempDir dir("hmnist-bad");
  std::ostringstream csv;
  for (int i = 0; i < 28 * 28 * 3; ++i)
    csv << "pixel" << (i < 10 ? "000" : i < 100 ? "00" : i < 1000 ? "0" : "") << i << ",";
  csv << "label\n";
  for (int i = 0; i < 28 * 28 * 3; ++i) csv << (i == 5 ? "300" : "1") << ",";
  csv << "2\n";
  testing::write_text(dir / "h.csv", csv.str());
  EXPECT_THAT(error_of(dir / "h.csv"), HasSubstr("h.csv:2: pixel0005 value 300"));
  testing::write_text(dir / "h2.csv", "pixel0000,label\n1,2\n");
  EXPECT_THAT(error_of(dir / "h2.csv"), HasSubstr("missing column 'pixel0001'"));
}

TEST(Dataset, FingerprintIgnoresRowOrderButNotContent) {
  Dataset a;
  a.samples = {Sample{"L1", "I1", 0, "", {}, "", "", ""},
               Sample{"L2", "I2", 4, "", {}, "", "", ""}};
  Dataset b = a;
  std::swap(b.samples[0], b.samples[1]);
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  b.samples[0].dx = 5;
  EXPECT_NE(a.fingerprint(), b.fingerprint());
}

}  // namespace
}  // namespace skinscan
