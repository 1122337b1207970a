// The counts behind every EDA chart, computed from a Dataset's metadata (no pixels).
// eda.json is exactly to_json(compute_stats(ds)), so charts and JSON cannot disagree.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"

namespace skinscan::eda {

inline constexpr int kAgeBinYears = 5;

struct AgeBin {
  int lo = 0;  // inclusive
  int hi = 0;  // exclusive
  int count = 0;
};

struct LocalizationRow {
  std::string localization;
  std::map<std::string, int> by_sex;  // male, female, unknown
  int total = 0;
};

struct Stats {
  std::string source;
  std::string layout;
  int images = 0;
  int lesions = 0;
  std::vector<int> class_counts;                     // by ClassId
  std::map<std::string, int> sex_counts;             // male, female, unknown (always present)
  std::vector<AgeBin> age_bins;                      // 5-year bins from 0 to the max age
  int age_unknown = 0;                               // rows with an empty age
  std::vector<LocalizationRow> localization_by_sex;  // sorted by total, descending
  std::map<int, int> images_per_lesion;              // images in a lesion -> number of lesions
  std::vector<std::map<std::string, int>> dx_type_by_class;  // by ClassId: dx_type -> count
  std::vector<std::vector<int>> age_bins_by_class;           // by ClassId, aligned with age_bins
  std::vector<int> age_unknown_by_class;                     // by ClassId
};

Stats compute_stats(const Dataset& ds);
nlohmann::ordered_json to_json(const Stats& s);

}  // namespace skinscan::eda
