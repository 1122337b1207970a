// Train/validation/test splits of a dataset.
//
// make_split: lesion-grouped (every image of one lesion_id on one side) and
// class-stratified (lesions are dealt per class, by the class of the lesion), seeded and
// deterministic. Test takes `test_fraction` of each class's lesions; validation takes
// `val_fraction` of the remaining training lesions, the same way.
// split_from_csv adopts a given train/test assignment (columns image_id, split) and carves
// the validation slice from its train rows; it refuses a split in which a lesion straddles
// train and test, and one that does not cover exactly the dataset's images.
//
// A Split records the dataset fingerprint; check_split refuses a split made for other data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace skinscan {

// kExcluded: rows a cross-validation fold leaves out entirely (the reference test rows),
// never loaded by training or scoring.
enum class Part : std::uint8_t { kTrain, kVal, kTest, kExcluded };
const char* part_name(Part p);

struct Split {
  std::string dataset_fingerprint;
  std::uint64_t seed = 0;
  std::string source;                  // "generated" or the CSV it was adopted from
  std::vector<std::string> image_ids;  // in dataset order
  std::vector<Part> parts;             // aligned with image_ids

  std::vector<std::size_t> indices(Part p) const;  // dataset indices of one part
  std::string fingerprint() const;                 // digest of the assignment
};

struct SplitOptions {
  double test_fraction = 0.10;
  double val_fraction = 0.10;
  std::uint64_t seed = 42;
};

Split make_split(const Dataset& ds, const SplitOptions& options = {});
Split split_from_csv(const Dataset& ds, const std::string& csv_path,
                     const SplitOptions& options = {});
// Moves `val_fraction` of the train lesions (stratified, seeded) to kVal.
void carve_validation(const Dataset& ds, Split& split, double val_fraction, std::uint64_t seed);

// Cross-validation fold `fold` (0-based) of `folds` over the TRAIN and VAL rows of
// `split`: their lesions are dealt per class, round-robin after a seeded shuffle, into
// `folds` groups (lesion-grouped, class-stratified); group `fold` becomes kVal, the
// others kTrain, and every kTest row becomes kExcluded, so a model trained on the fold
// never sees, and is never scored on, the test rows. Throws DataError for fold >= folds
// or folds < 2.
Split cross_validation_fold(const Dataset& ds, const Split& split, int fold, int folds,
                            std::uint64_t seed);

void save_split(const Split& split, const std::string& path);
Split load_split(const std::string& path);
// Throws DataError unless `split` was made for exactly this dataset; returns it with
// image_ids/parts in dataset order, so indices() are dataset indices.
Split align_split(const Split& split, const Dataset& ds);

}  // namespace skinscan
