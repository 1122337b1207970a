#include "train/split.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "data/error.h"
#include "data/fingerprint.h"

namespace skinscan {

namespace {

struct Lesion {
  std::string id;
  ClassId dx = 0;
  std::vector<std::size_t> images;
};

// Lesions in first-appearance order; a lesion's class is that of its first image (HAM10000
// lesions have one dx).
std::vector<Lesion> group_lesions(const Dataset& ds, const std::vector<std::size_t>& subset) {
  std::vector<Lesion> lesions;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i : subset) {
    const Sample& s = ds.samples[i];
    auto [it, inserted] = index.emplace(s.lesion_id, lesions.size());
    if (inserted) lesions.push_back({s.lesion_id, s.dx, {}});
    lesions[it->second].images.push_back(i);
  }
  return lesions;
}

// Assigns `fraction` of each class's lesions (rounded, at least one when the class has
// two or more) to `to`, the rest keep their part.
void deal(const std::vector<Lesion>& lesions, double fraction, std::uint64_t seed, Part to,
          std::vector<Part>& parts) {
  std::vector<std::vector<std::size_t>> by_class(kNumClasses);
  for (std::size_t l = 0; l < lesions.size(); ++l) {
    by_class[static_cast<std::size_t>(lesions[l].dx)].push_back(l);
  }
  std::mt19937_64 rng(seed);
  for (auto& ls : by_class) {
    std::shuffle(ls.begin(), ls.end(), rng);
    std::size_t take = static_cast<std::size_t>(fraction * static_cast<double>(ls.size()) + 0.5);
    if (take == 0 && ls.size() >= 2 && fraction > 0) take = 1;
    for (std::size_t k = 0; k < take; ++k) {
      for (std::size_t i : lesions[ls[k]].images) parts[i] = to;
    }
  }
}

std::vector<std::size_t> all_indices(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

}  // namespace

const char* part_name(Part p) {
  switch (p) {
    case Part::kTrain:
      return "train";
    case Part::kVal:
      return "val";
    case Part::kTest:
      return "test";
    case Part::kExcluded:
      return "excluded";
  }
  return "?";
}

std::vector<std::size_t> Split::indices(Part p) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (parts[i] == p) out.push_back(i);
  return out;
}

std::string Split::fingerprint() const {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < image_ids.size(); ++i) {
    keys.push_back(image_ids[i] + ":" + part_name(parts[i]));
  }
  return fingerprint_of(std::move(keys));
}

Split cross_validation_fold(const Dataset& ds, const Split& split, int fold, int folds,
                            std::uint64_t seed) {
  if (folds < 2 || fold < 0 || fold >= folds) {
    throw DataError("cross-validation fold " + std::to_string(fold) + " of " +
                    std::to_string(folds) + ": need 0 <= fold < folds and folds >= 2");
  }
  std::vector<std::size_t> pool = split.indices(Part::kTrain);
  for (std::size_t i : split.indices(Part::kVal)) pool.push_back(i);
  std::sort(pool.begin(), pool.end());
  const std::vector<Lesion> lesions = group_lesions(ds, pool);
  std::vector<std::vector<std::size_t>> by_class(kNumClasses);
  for (std::size_t l = 0; l < lesions.size(); ++l)
    by_class[static_cast<std::size_t>(lesions[l].dx)].push_back(l);
  Split out = split;
  out.seed = seed;
  out.source = split.source + " (cross-validation fold " + std::to_string(fold + 1) + "/" +
               std::to_string(folds) + ")";
  for (Part& p : out.parts) p = p == Part::kTest ? Part::kExcluded : Part::kTrain;
  std::mt19937_64 rng(seed);
  for (auto& ls : by_class) {
    std::shuffle(ls.begin(), ls.end(), rng);
    for (std::size_t k = 0; k < ls.size(); ++k) {
      if (static_cast<int>(k % static_cast<std::size_t>(folds)) != fold) continue;
      for (std::size_t i : lesions[ls[k]].images) out.parts[i] = Part::kVal;
    }
  }
  return out;
}

void carve_validation(const Dataset& ds, Split& split, double val_fraction, std::uint64_t seed) {
  const auto lesions = group_lesions(ds, split.indices(Part::kTrain));
  deal(lesions, val_fraction, seed + 1, Part::kVal, split.parts);
}

Split make_split(const Dataset& ds, const SplitOptions& o) {
  Split s;
  s.dataset_fingerprint = ds.fingerprint();
  s.seed = o.seed;
  s.source = "generated";
  for (const Sample& x : ds.samples) s.image_ids.push_back(x.image_id);
  s.parts.assign(ds.samples.size(), Part::kTrain);
  deal(group_lesions(ds, all_indices(ds.samples.size())), o.test_fraction, o.seed, Part::kTest,
       s.parts);
  carve_validation(ds, s, o.val_fraction, o.seed);
  return s;
}

Split split_from_csv(const Dataset& ds, const std::string& csv_path, const SplitOptions& o) {
  const CsvTable t = read_csv(csv_path);
  const std::size_t c_id = t.column("image_id");
  const std::size_t c_split = t.column("split");
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < ds.samples.size(); ++i) index[ds.samples[i].image_id] = i;
  Split s;
  s.dataset_fingerprint = ds.fingerprint();
  s.seed = o.seed;
  s.source = csv_path;
  for (const Sample& x : ds.samples) s.image_ids.push_back(x.image_id);
  std::vector<int> assigned(ds.samples.size(), -1);
  for (const CsvRow& r : t.rows) {
    const auto it = index.find(r.fields[c_id]);
    if (it == index.end()) {
      throw DataError(
          where(csv_path, r.line, "image_id '" + r.fields[c_id] + "' is not in the dataset"));
    }
    const std::string& v = r.fields[c_split];
    if (v != "train" && v != "test") {
      throw DataError(where(csv_path, r.line, "split '" + v + "' must be train or test"));
    }
    if (assigned[it->second] != -1) {
      throw DataError(where(csv_path, r.line, "image_id '" + r.fields[c_id] + "' listed twice"));
    }
    assigned[it->second] = v == "test" ? 1 : 0;
  }
  s.parts.resize(ds.samples.size());
  std::size_t unassigned = 0;
  for (std::size_t i = 0; i < assigned.size(); ++i) {
    if (assigned[i] == -1) ++unassigned;
    s.parts[i] = assigned[i] == 1 ? Part::kTest : Part::kTrain;
  }
  if (unassigned) {
    throw DataError(where(
        csv_path, 0, std::to_string(unassigned) + " dataset images are not in the split file"));
  }
  std::unordered_map<std::string, Part> lesion_part;
  for (std::size_t i = 0; i < ds.samples.size(); ++i) {
    auto [it, inserted] = lesion_part.emplace(ds.samples[i].lesion_id, s.parts[i]);
    if (!inserted && it->second != s.parts[i]) {
      throw DataError(
          where(csv_path, 0,
                "lesion " + ds.samples[i].lesion_id + " has images on both sides of the split"));
    }
  }
  carve_validation(ds, s, o.val_fraction, o.seed);
  return s;
}

void save_split(const Split& s, const std::string& path) {
  nlohmann::ordered_json j;
  j["dataset_fingerprint"] = s.dataset_fingerprint;
  j["split_fingerprint"] = s.fingerprint();
  j["seed"] = s.seed;
  j["source"] = s.source;
  std::map<std::string, int> counts;
  for (Part p : s.parts) ++counts[part_name(p)];
  j["counts"] = counts;
  nlohmann::ordered_json parts = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < s.image_ids.size(); ++i)
    parts[s.image_ids[i]] = part_name(s.parts[i]);
  j["images"] = parts;
  std::ofstream f(path);
  f << j.dump(1) << "\n";
  if (!f) throw DataError(where(path, 0, "cannot write split file"));
}

Split load_split(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw DataError(where(path, 0, "cannot open split file"));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
    Split s;
    s.dataset_fingerprint = j.at("dataset_fingerprint").get<std::string>();
    s.seed = j.at("seed").get<std::uint64_t>();
    s.source = j.value("source", "");
    for (const auto& [id, part] : j.at("images").items()) {
      const std::string p = part.get<std::string>();
      s.image_ids.push_back(id);
      if (p == "train")
        s.parts.push_back(Part::kTrain);
      else if (p == "val")
        s.parts.push_back(Part::kVal);
      else if (p == "test")
        s.parts.push_back(Part::kTest);
      else if (p == "excluded")
        s.parts.push_back(Part::kExcluded);
      else
        throw DataError(where(path, 0, "image " + id + " has unknown part '" + p + "'"));
    }
    if (j.contains("split_fingerprint") && j["split_fingerprint"] != s.fingerprint()) {
      throw DataError(where(path, 0, "split file was edited: its fingerprint does not match"));
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(where(path, 0, std::string("not a valid split file: ") + e.what()));
  }
}

Split align_split(const Split& split, const Dataset& ds) {
  if (split.dataset_fingerprint != ds.fingerprint()) {
    throw DataError("split was made for dataset " + split.dataset_fingerprint +
                    " but the data given is " + ds.fingerprint() +
                    " (different images or labels); make a new split for this data");
  }
  std::unordered_map<std::string, Part> part;
  for (std::size_t i = 0; i < split.image_ids.size(); ++i)
    part[split.image_ids[i]] = split.parts[i];
  Split out = split;
  out.image_ids.clear();
  out.parts.clear();
  for (const Sample& x : ds.samples) {
    const auto it = part.find(x.image_id);
    if (it == part.end()) throw DataError("split does not cover image " + x.image_id);
    out.image_ids.push_back(x.image_id);
    out.parts.push_back(it->second);
  }
  return out;
}

}  // namespace skinscan
