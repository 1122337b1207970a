// Reader for HAM10000_metadata.csv (columns lesion_id,image_id,dx,dx_type,age,sex,
// localization; extra columns are ignored).
//
// Contract: returns one Sample per data row, in file order, with image_path empty.
// Throws DataError naming file and line for: missing file, empty file, missing column,
// unknown dx, duplicate image_id, empty lesion_id/image_id, non-numeric or out-of-range
// age. An empty age, or sex/localization "unknown", are valid.
#pragma once

#include <string>
#include <vector>

#include "data/csv.h"
#include "data/sample.h"

namespace skinscan {

std::vector<Sample> read_metadata(const std::string& path);
std::vector<Sample> metadata_from_table(const CsvTable& table);

}  // namespace skinscan
