// A HAM10000-style dataset loaded from any of the supported layouts:
//   flat    DIR/HAM10000_metadata.csv + DIR/images/<image_id>.jpg   (../shared/data/ham10000)
//   kaggle  DIR/HAM10000_metadata.csv + DIR/HAM10000_images_part_1/ and _part_2/ (600x450)
//   hmnist  the seed article's pixel CSV (hmnist_28_28_RGB.csv): given as the file itself,
//           or a DIR holding it and no metadata file. Pixels live in memory (28x28 RGB).
//
// Contract: open_dataset returns every metadata row as a Sample (nothing dropped) or
// throws DataError. For the image layouts every listed image must exist on disk; if any
// are missing the error reports how many and names the first few.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/image.h"
#include "data/sample.h"

namespace skinscan {

enum class Layout { kFlat, kKaggle, kHmnist };
const char* layout_name(Layout layout);

inline constexpr const char* kMetadataFile = "HAM10000_metadata.csv";
inline constexpr const char* kHmnistFile = "hmnist_28_28_RGB.csv";

struct Dataset {
  std::string source;  // the directory or CSV file it was opened from
  Layout layout = Layout::kFlat;
  std::vector<Sample> samples;
  std::vector<cv::Mat> pixels;  // hmnist only: one 28x28 CV_8UC3 RGB image per sample

  std::size_t lesion_count() const;
  std::vector<int> class_counts() const;  // indexed by ClassId
  // Stable hex digest of (image_id, lesion_id, dx) over all samples, independent of row
  // order: splits and models record it and refuse data that does not match.
  std::string fingerprint() const;
};

Dataset open_dataset(const std::string& path);

// Reads the hmnist pixel CSV (2352 columns pixel0000.. in row-major RGB order, then
// `label` in the seed's mapping).
Dataset read_hmnist(const std::string& csv_path);

struct LoadOptions {
  ImageLimits limits;
  int min_side = 0;      // allow reduced-size JPEG decoding down to this side (0 = full)
  unsigned threads = 0;  // 0 = all cores
  bool progress = true;  // progress bar on a terminal
};

// Decodes every sample's image (RGB), in sample order, on all cores with a progress bar.
std::vector<cv::Mat> load_images(const Dataset& ds, const LoadOptions& options = {});
// Decodes one sample's image (or returns a copy of the in-memory pixels).
cv::Mat load_image(const Dataset& ds, std::size_t index, const ImageLimits& limits = {},
                   int min_side = 0);

}  // namespace skinscan
