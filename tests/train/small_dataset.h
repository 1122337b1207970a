// A small real HAM10000 sample for short training runs in tests: every `stride`-th of the
// metadata's first 2,800 images (several classes, a few hundred images).
#pragma once

#include <cstddef>

#include "data/dataset.h"
#include "support/paths.h"

namespace skinscan::testing {

inline Dataset ham10000_sample(std::size_t stride) {
  const Dataset full = open_dataset(ham10000_dir().string());
  Dataset ds;
  ds.source = full.source;
  for (std::size_t i = 0; i < 2800; i += stride) ds.samples.push_back(full.samples[i]);
  return ds;
}

}  // namespace skinscan::testing
