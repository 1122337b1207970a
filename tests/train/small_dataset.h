// Small real HAM10000 data for training tests: a sample for short runs (every `stride`-th
// of the metadata's first 2,800 images: several classes, a few hundred images) with the
// options of such a run, and one decoded, model-sized batch for single optimisation steps.
#pragma once

#include <cstddef>
#include <vector>

#include "data/dataset.h"
#include "model/arch_info.h"
#include "model/preprocess.h"
#include "support/paths.h"
#include "train/finalize.h"
#include "train/train_options.h"

namespace skinscan::testing {

inline Dataset ham10000_sample(std::size_t stride) {
  const Dataset full = open_dataset(ham10000_dir().string());
  Dataset ds;
  ds.source = full.source;
  for (std::size_t i = 0; i < 2800; i += stride) ds.samples.push_back(full.samples[i]);
  return ds;
}

// A short run's options: resnet-s at 64x48, one epoch of batches of 32, one thread (so
// reductions are reproducible bit for bit), no progress bar.
inline TrainOptions short_run_options() {
  TrainOptions o;
  o.arch = "resnet-s";
  o.input_width = 64;
  o.input_height = 48;
  o.epochs = 1;
  o.batch_size = 32;
  o.threads = 1;
  o.progress = false;
  return o;
}

// Images 0, 97, 194, ... (`n` of them) of `ds`, decoded at `spec`'s size, with their labels.
inline LabelledImages ham10000_batch(const Dataset& ds, std::size_t n, const InputSpec& spec) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < n; ++i) idx.push_back(i * 97);
  LabelledImages batch{load_model_inputs(ds, idx, spec, false), {}};
  for (std::size_t i : idx) batch.labels.push_back(ds.samples[i].dx);
  return batch;
}

// One batch for single steps: `n` images at resnet-s's input, a flat class count, and the
// indices 0..n-1 of the whole batch.
struct OneBatch {
  InputSpec spec;
  LabelledImages train;
  std::vector<int> counts = std::vector<int>(kNumClasses, 1);
  std::vector<std::size_t> all;
};

inline OneBatch one_batch(std::size_t n) {
  OneBatch b;
  b.spec = arch_info("resnet-s").input;
  b.train = ham10000_batch(open_dataset(ham10000_dir().string()), n, b.spec);
  for (std::size_t i = 0; i < n; ++i) b.all.push_back(i);
  return b;
}

}  // namespace skinscan::testing
