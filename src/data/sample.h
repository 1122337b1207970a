// One labelled image of a dataset, whatever layout it came from.
#pragma once

#include <optional>
#include <string>

#include "data/classes.h"

namespace skinscan {

struct Sample {
  std::string lesion_id;      // groups images of the same lesion (splits keep them together)
  std::string image_id;       // e.g. "ISIC_0027419"; unique within a dataset
  ClassId dx = 0;             // diagnosis
  std::string dx_type;        // histo, follow_up, consensus, confocal ("" if unknown)
  std::optional<double> age;  // years; nullopt when the metadata leaves it empty
  std::string sex;            // male, female or unknown
  std::string localization;   // body site or unknown
  std::string image_path;     // file on disk; empty for in-memory pixel datasets (hmnist)
};

}  // namespace skinscan
