#include "eda/report.h"

#include <fstream>
#include <stdexcept>

#include "data/error.h"
#include "data/text.h"
#include "eda/charts.h"

namespace skinscan::eda {

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw skinscan::Error(skinscan::ErrorCode::kIo, "cannot write " + p.string());
}

std::string index_html(const Stats& s, const std::vector<ChartSpec>& charts) {
  std::string h =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>SkinScan EDA</title>\n<style>body{font-family:sans-serif;max-width:1150px;"
      "margin:auto;padding:1em;color:#222}figure{margin:2em 0}img{max-width:100%;height:auto;"
      "border:1px solid #ddd}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
      "padding:.2em .6em;text-align:right}th:first-child,td:first-child{text-align:left}"
      "</style></head><body>\n<h1>HAM10000 exploratory data analysis</h1>\n";
  h += "<p>Source: <code>" + html_escape(s.source) + "</code> (" + html_escape(s.layout) +
       " layout). <strong>" + std::to_string(s.images) + "</strong> images of <strong>" +
       std::to_string(s.lesions) +
       "</strong> lesions. All counts: <a href=\"eda.json\">eda.json"
       "</a>.</p>\n<table><tr><th>Class</th><th>Code</th><th>Images</th><th>Malignant</th></tr>\n";
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const auto id = static_cast<ClassId>(c);
    h += "<tr><td>" + std::string(class_name(id)) + "</td><td>" + std::string(class_code(id)) +
         "</td><td>" + std::to_string(s.class_counts[c]) + "</td><td>" +
         (class_malignant(id) ? "yes" : "no") + "</td></tr>\n";
  }
  h += "</table>\n";
  for (const ChartSpec& c : charts) {
    h += "<figure id=\"" + c.name + "\"><h2>" + html_escape(c.title) + "</h2>\n<img src=\"" +
         c.name + ".png\" alt=\"" + html_escape(c.title) +
         "\" width=\"1100\" height=\"650\">\n"
         "<figcaption>" +
         html_escape(c.caption) + " <a href=\"" + c.name + ".svg\">SVG</a></figcaption></figure>\n";
  }
  h += "<p><small>HAM10000: Tschandl, Rosendahl &amp; Kittler, Sci. Data 5, 180161 (2018), "
       "CC BY-NC-SA 4.0. SkinScan is a screening aid, not a diagnosis.</small></p>\n"
       "</body></html>\n";
  return h;
}

}  // namespace

Stats write_report(const Dataset& ds, const std::filesystem::path& out_dir) {
  std::filesystem::create_directories(out_dir);
  Stats s = compute_stats(ds);
  const auto charts = chart_specs(s);
  plot::render_charts(charts, out_dir);
  write_file(out_dir / "eda.json", to_json(s).dump(2) + "\n");
  write_file(out_dir / "index.html", index_html(s, charts));
  return s;
}

}  // namespace skinscan::eda
