// Charts drawn by gnuplot (Debian's gnuplot-nox) for every stage that draws one: the EDA
// report (eda/charts.h), training curves and confusion matrices (train/). Each chart is a
// gnuplot script the caller writes; render_charts writes it as a PNG (pngcairo) and an SVG
// twin of the same size and font.
//
// Contract: render_charts writes <out_dir>/<name>.png and .svg for every chart, or throws
// skinscan::Error: kIo when the script cannot be written to out_dir, kUnavailable when
// gnuplot is missing or fails (with its output).
//
// Hostile text: gnuplot is started without a shell (posix_spawnp), so out_dir is only ever a
// path. gnuplot itself runs `backquoted` text in a command line as a shell command anywhere
// except inside single quotes: text that is not a fixed string (titles, labels, data-derived
// words) goes into a command through command_string, and into a datablock through
// data_string.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace skinscan::plot {

struct ChartSpec {
  std::string name;     // file stem, e.g. "class_frequency"
  std::string title;    // heading where a report lists the chart
  std::string caption;  // one or two sentences for a reader
  std::string script;   // gnuplot commands after terminal/output are set
};

void render_charts(const std::vector<ChartSpec>& charts, const std::filesystem::path& out_dir);

// A single-quoted gnuplot string for a COMMAND (a ' is doubled; line breaks become spaces).
std::string command_string(const std::string& s);
// A double-quoted field of a gnuplot datablock (data lines are read, never executed).
std::string data_string(const std::string& s);

}  // namespace skinscan::plot
