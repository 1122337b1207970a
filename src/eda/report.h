// `skinscan eda`: the whole EDA report of a dataset in one directory:
// eda.json (every count), one PNG + SVG per chart, and an offline index.html.
#pragma once

#include <filesystem>

#include "data/dataset.h"
#include "eda/stats.h"

namespace skinscan::eda {

// Creates out_dir if needed and writes the report. Returns the stats it wrote.
Stats write_report(const Dataset& ds, const std::filesystem::path& out_dir);

}  // namespace skinscan::eda
