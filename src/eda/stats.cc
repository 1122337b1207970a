#include "eda/stats.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace skinscan::eda {

namespace {
int age_bin_index(double age) { return static_cast<int>(std::floor(age / kAgeBinYears)); }
}  // namespace

Stats compute_stats(const Dataset& ds) {
  Stats s;
  s.source = ds.source;
  s.layout = layout_name(ds.layout);
  s.images = static_cast<int>(ds.samples.size());
  s.lesions = static_cast<int>(ds.lesion_count());
  s.class_counts = ds.class_counts();
  s.sex_counts = {{"male", 0}, {"female", 0}, {"unknown", 0}};
  s.dx_type_by_class.resize(kNumClasses);
  s.age_unknown_by_class.assign(kNumClasses, 0);

  int max_bin = -1;
  for (const Sample& x : ds.samples) {
    if (x.age) max_bin = std::max(max_bin, age_bin_index(*x.age));
  }
  const std::size_t nbins = static_cast<std::size_t>(max_bin + 1);
  for (std::size_t b = 0; b < nbins; ++b) {
    const int lo = static_cast<int>(b) * kAgeBinYears;
    s.age_bins.push_back({lo, lo + kAgeBinYears, 0});
  }
  s.age_bins_by_class.assign(kNumClasses, std::vector<int>(nbins, 0));

  std::unordered_map<std::string, std::size_t> loc_index;
  std::unordered_map<std::string, int> per_lesion;
  for (const Sample& x : ds.samples) {
    const auto c = static_cast<std::size_t>(x.dx);
    ++s.sex_counts[x.sex];
    if (x.age) {
      const auto b = static_cast<std::size_t>(age_bin_index(*x.age));
      ++s.age_bins[b].count;
      ++s.age_bins_by_class[c][b];
    } else {
      ++s.age_unknown;
      ++s.age_unknown_by_class[c];
    }
    auto [it, inserted] = loc_index.emplace(x.localization, s.localization_by_sex.size());
    if (inserted) {
      s.localization_by_sex.push_back(
          {x.localization, {{"male", 0}, {"female", 0}, {"unknown", 0}}, 0});
    }
    LocalizationRow& row = s.localization_by_sex[it->second];
    ++row.by_sex[x.sex];
    ++row.total;
    ++per_lesion[x.lesion_id];
    ++s.dx_type_by_class[c][x.dx_type.empty() ? "unknown" : x.dx_type];
  }
  std::stable_sort(s.localization_by_sex.begin(), s.localization_by_sex.end(),
                   [](const LocalizationRow& a, const LocalizationRow& b) {
                     if (a.total != b.total) return a.total > b.total;
                     return a.localization < b.localization;
                   });
  for (const auto& [lesion, n] : per_lesion) ++s.images_per_lesion[n];
  return s;
}

nlohmann::ordered_json to_json(const Stats& s) {
  using json = nlohmann::ordered_json;
  json j;
  j["source"] = s.source;
  j["layout"] = s.layout;
  j["images"] = s.images;
  j["lesions"] = s.lesions;
  json classes = json::array();
  json counts = json::object();
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const auto id = static_cast<ClassId>(c);
    classes.push_back(
        {{"code", class_code(id)}, {"name", class_name(id)}, {"malignant", class_malignant(id)}});
    counts[std::string(class_code(id))] = s.class_counts[c];
  }
  j["classes"] = classes;
  j["class_counts"] = counts;
  j["sex_counts"] = s.sex_counts;
  json bins = json::array();
  for (const AgeBin& b : s.age_bins)
    bins.push_back({{"from", b.lo}, {"to", b.hi}, {"count", b.count}});
  j["age_bins"] = bins;
  j["age_unknown"] = s.age_unknown;
  json loc = json::array();
  for (const auto& r : s.localization_by_sex) {
    json row = {{"localization", r.localization}, {"total", r.total}};
    for (const auto& [sex, n] : r.by_sex) row[sex] = n;
    loc.push_back(row);
  }
  j["localization_by_sex"] = loc;
  json ipl = json::object();
  for (const auto& [k, n] : s.images_per_lesion) ipl[std::to_string(k)] = n;
  j["images_per_lesion"] = ipl;
  json dxt = json::object();
  json abc = json::object();
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const std::string code(class_code(static_cast<ClassId>(c)));
    dxt[code] = s.dx_type_by_class[c];
    abc[code] = {{"counts", s.age_bins_by_class[c]}, {"unknown", s.age_unknown_by_class[c]}};
  }
  j["dx_type_by_class"] = dxt;
  j["age_bins_by_class"] = abc;
  return j;
}

}  // namespace skinscan::eda
