// Small real HAM10000 data for training tests: a sample for short runs (every `stride`-th
// of the metadata's first 2,800 images: several classes, a few hundred images), and one
// decoded, model-sized batch for single optimisation steps.
#pragma once

#include <cstddef>
#include <vector>

#include "data/dataset.h"
#include "model/preprocess.h"
#include "support/paths.h"
#include "train/finalize.h"

namespace skinscan::testing {

inline Dataset ham10000_sample(std::size_t stride) {
  const Dataset full = open_dataset(ham10000_dir().string());
  Dataset ds;
  ds.source = full.source;
  for (std::size_t i = 0; i < 2800; i += stride) ds.samples.push_back(full.samples[i]);
  return ds;
}

// Images 0, 97, 194, ... (`n` of them) of `ds`, decoded at `spec`'s size, with their labels.
inline LabelledImages ham10000_batch(const Dataset& ds, std::size_t n, const InputSpec& spec) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < n; ++i) idx.push_back(i * 97);
  LabelledImages batch{load_model_inputs(ds, idx, spec, false), {}};
  for (std::size_t i : idx) batch.labels.push_back(ds.samples[i].dx);
  return batch;
}

}  // namespace skinscan::testing
