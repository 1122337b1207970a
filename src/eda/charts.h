// EDA charts, drawn by gnuplot (plot/gnuplot.h): the class frequencies, sexes, ages,
// localizations, images per lesion, diagnosis confirmation and ages per class of a dataset.
// The chart data come only from Stats, so the pictures show exactly the numbers in eda.json;
// every data-derived word reaches gnuplot quoted (plot::command_string / data_string).
//
// Contract: chart_specs returns the charts in report order; plot::render_charts draws them
// (eda/report.h does).
#pragma once

#include <vector>

#include "eda/stats.h"
#include "plot/gnuplot.h"

namespace skinscan::eda {

using plot::ChartSpec;

std::vector<ChartSpec> chart_specs(const Stats& s);

}  // namespace skinscan::eda
