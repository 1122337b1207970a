// EDA charts drawn by gnuplot (Debian's gnuplot-nox): each chart is written as a PNG
// (pngcairo) and an SVG twin. The chart data come only from Stats, so the pictures show
// exactly the numbers in eda.json.
//
// Contract: render_charts writes <out_dir>/<name>.png and .svg for every chart in
// chart_specs() or throws std::runtime_error (gnuplot missing or failing, with its stderr).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eda/stats.h"

namespace skinscan::eda {

struct ChartSpec {
  std::string name;     // file stem, e.g. "class_frequency"
  std::string title;    // heading in index.html
  std::string caption;  // one or two sentences for a reader
  std::string script;   // gnuplot commands after terminal/output are set
};

std::vector<ChartSpec> chart_specs(const Stats& s);
void render_charts(const std::vector<ChartSpec>& charts, const std::filesystem::path& out_dir);

}  // namespace skinscan::eda
