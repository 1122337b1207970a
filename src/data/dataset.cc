#include "data/dataset.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "data/csv.h"
#include "data/fingerprint.h"
#include "data/metadata.h"
#include "data/parallel.h"
#include "data/progress.h"

namespace fs = std::filesystem;

namespace skinscan {

namespace {

constexpr const char* kPart1 = "HAM10000_images_part_1";
constexpr const char* kPart2 = "HAM10000_images_part_2";
constexpr int kHmnistSide = 28;
constexpr std::size_t kHmnistPixels = kHmnistSide * kHmnistSide * 3;
constexpr std::size_t kMissingShown = 5;

// Points each sample at <dir>/<image_id>.jpg (first dir that has it); reports missing ones.
void attach_images(std::vector<Sample>& samples, const std::vector<fs::path>& dirs,
                   const std::string& metadata_path) {
  std::vector<std::string> missing;
  for (Sample& s : samples) {
    for (const fs::path& d : dirs) {
      fs::path p = d / (s.image_id + ".jpg");
      if (fs::is_regular_file(p)) {
        s.image_path = p.string();
        break;
      }
    }
    if (s.image_path.empty()) missing.push_back(s.image_id);
  }
  if (missing.empty()) return;
  std::string names;
  for (std::size_t i = 0; i < std::min(missing.size(), kMissingShown); ++i) {
    names += (i ? ", " : "") + missing[i] + ".jpg";
  }
  if (missing.size() > kMissingShown) names += ", ...";
  std::string dir_list;
  for (const auto& d : dirs) dir_list += (dir_list.empty() ? "" : " or ") + d.string();
  throw DataError(where(metadata_path, 0,
                        std::to_string(missing.size()) + " of " + std::to_string(samples.size()) +
                            " listed images are missing on disk (looked in " + dir_list +
                            "): " + names));
}

int parse_int(const std::string& text, const std::string& path, std::size_t line,
              const std::string& column) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw DataError(where(path, line, column + " '" + text + "' is not an integer"));
  }
  return v;
}

}  // namespace

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::kFlat:
      return "flat";
    case Layout::kKaggle:
      return "kaggle";
    case Layout::kHmnist:
      return "hmnist";
  }
  return "?";
}

std::size_t Dataset::lesion_count() const {
  std::unordered_set<std::string> ids;
  for (const Sample& s : samples) ids.insert(s.lesion_id);
  return ids.size();
}

std::vector<int> Dataset::class_counts() const {
  std::vector<int> counts(kNumClasses, 0);
  for (const Sample& s : samples) ++counts[static_cast<std::size_t>(s.dx)];
  return counts;
}

std::string Dataset::fingerprint() const {
  std::vector<std::string> keys;
  keys.reserve(samples.size());
  for (const Sample& s : samples) {
    keys.push_back(s.image_id + '\t' + s.lesion_id + '\t' + std::string(class_code(s.dx)));
  }
  return fingerprint_of(std::move(keys));
}

Dataset read_hmnist(const std::string& csv_path) {
  const CsvTable t = read_csv(csv_path);
  std::vector<std::size_t> pixel_cols(kHmnistPixels);
  for (std::size_t i = 0; i < kHmnistPixels; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "pixel%04zu", i);
    pixel_cols[i] = t.column(name);
  }
  const std::size_t c_label = t.column("label");
  Dataset ds;
  ds.source = csv_path;
  ds.layout = Layout::kHmnist;
  for (const CsvRow& r : t.rows) {
    const int label = parse_int(r.fields[c_label], csv_path, r.line, "label");
    const auto dx = class_from_hmnist_label(label);
    if (!dx) {
      throw DataError(
          where(csv_path, r.line, "label " + std::to_string(label) + " is outside 0..6"));
    }
    cv::Mat img(kHmnistSide, kHmnistSide, CV_8UC3);
    for (std::size_t i = 0; i < kHmnistPixels; ++i) {
      const int v = parse_int(r.fields[pixel_cols[i]], csv_path, r.line, t.header[pixel_cols[i]]);
      if (v < 0 || v > 255) {
        throw DataError(
            where(csv_path, r.line,
                  t.header[pixel_cols[i]] + " value " + std::to_string(v) + " is outside 0..255"));
      }
      img.data[i] = static_cast<std::uint8_t>(v);
    }
    Sample s;
    s.image_id = "hmnist_" + std::to_string(ds.samples.size());
    s.lesion_id = s.image_id;  // the pixel CSV carries no lesion ids
    s.dx = *dx;
    s.sex = "unknown";
    s.localization = "unknown";
    ds.samples.push_back(std::move(s));
    ds.pixels.push_back(std::move(img));
  }
  return ds;
}

Dataset open_dataset(const std::string& path) {
  const fs::path p(path);
  if (!fs::exists(p)) throw DataError(where(path, 0, "no such file or directory"));
  if (fs::is_regular_file(p)) {
    if (p.filename() == kMetadataFile) return open_dataset(p.parent_path().string());
    if (p.extension() != ".csv") {
      throw DataError(where(path, 0,
                            std::string("not a dataset: give a directory with ") + kMetadataFile +
                                " or an hmnist pixel CSV such as " + kHmnistFile));
    }
    return read_hmnist(path);
  }
  const fs::path meta = p / kMetadataFile;
  if (!fs::exists(meta)) {
    if (fs::exists(p / kHmnistFile)) return read_hmnist((p / kHmnistFile).string());
    throw DataError(where(path, 0,
                          std::string("not a dataset directory: expected ") + kMetadataFile +
                              " (with images/ or " + kPart1 + "/ and " + kPart2 + "/) or " +
                              kHmnistFile));
  }
  Dataset ds;
  ds.source = path;
  ds.samples = read_metadata(meta.string());
  std::vector<fs::path> dirs;
  if (fs::is_directory(p / "images")) {
    ds.layout = Layout::kFlat;
    dirs = {p / "images"};
  } else if (fs::is_directory(p / kPart1) || fs::is_directory(p / kPart2)) {
    ds.layout = Layout::kKaggle;
    dirs = {p / kPart1, p / kPart2};
  } else {
    throw DataError(where(meta.string(), 0,
                          std::string("no image folder beside it: expected images/ or ") + kPart1 +
                              "/ and " + kPart2 + "/"));
  }
  attach_images(ds.samples, dirs, meta.string());
  return ds;
}

cv::Mat load_image(const Dataset& ds, std::size_t index, const ImageLimits& limits, int min_side) {
  if (ds.layout == Layout::kHmnist) return ds.pixels.at(index).clone();
  return read_image_rgb(ds.samples.at(index).image_path, limits, min_side);
}

std::vector<cv::Mat> load_images(const Dataset& ds, const LoadOptions& options) {
  std::vector<cv::Mat> out(ds.samples.size());
  if (ds.layout == Layout::kHmnist) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = ds.pixels[i];
    return out;
  }
  Progress bar("Loading images", out.size(), false);
  const bool show = options.progress && bar.enabled();
  parallel_for(
      out.size(),
      [&](std::size_t i) {
        out[i] = load_image(ds, i, options.limits, options.min_side);
        if (show) bar.advance();
      },
      options.threads);
  return out;
}

}  // namespace skinscan
