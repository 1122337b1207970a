#include "eda/charts.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace skinscan::eda {

namespace {

constexpr const char* kSexColors[] = {"#4e79a7", "#e15759", "#9c9c9c"};  // male, female, unknown
const char* const kSexes[] = {"male", "female", "unknown"};

// Quoting of text in gnuplot scripts (plot/gnuplot.h): q for a datablock field, qc for text
// in a command (titles, labels): data-derived words (dx_type, localization) go in those.
std::string q(const std::string& s) { return plot::data_string(s); }
std::string qc(const std::string& s) { return plot::command_string(s); }

std::string pct(int part, int whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole ? 100.0 * part / whole : 0.0);
  return buf;
}

std::string common() {
  return "set termoption noenhanced\nset grid ytics lc rgb '#dddddd'\nset border 3\n"
         "set tics nomirror\n";
}

ChartSpec class_frequency(const Stats& s) {
  std::ostringstream d;
  d << "$D << EOD\n";
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const auto id = static_cast<ClassId>(c);
    d << q(std::string(class_name(id)) + " (" + std::string(class_code(id)) + ")") << " "
      << s.class_counts[c] << " "
      << q(std::to_string(s.class_counts[c]) + "  " + pct(s.class_counts[c], s.images)) << "\n";
  }
  d << "EOD\n"
    << common() << "set title "
    << qc("Images per diagnosis (" + std::to_string(s.images) + " images)") << "\n"
    << "set xlabel 'Images'\nset grid xtics noytics\nset yrange [-0.6:6.6] reverse\n"
    << "set xrange [0:*]\nset offsets 0, graph 0.18, 0, 0\nset lmargin 48\nunset key\n"
    << "set style fill solid 0.85 border -1\n"
    << "plot $D using 2:0:(0):2:($0-0.38):($0+0.38):yticlabels(1) with boxxyerror "
       "lc rgb '#4e79a7', $D using 2:0:3 with labels left offset 0.8,0\n";
  return {"class_frequency", "Class frequency",
          "Number of images per diagnostic class. The data are heavily imbalanced: melanocytic "
          "nevi dominate, so accuracy alone says little and SkinScan reports balanced accuracy.",
          d.str()};
}

ChartSpec sex_distribution(const Stats& s) {
  std::ostringstream d;
  int total = 0;
  for (const auto& [k, n] : s.sex_counts) total += n;
  d << common() << "unset border\nunset tics\nunset grid\nunset key\nset size ratio -1\n"
    << "set xrange [-1.9:1.9]\nset yrange [-1.25:1.25]\nset style fill solid 0.9 border rgb "
       "'white'\n"
    << "set title " << qc("Sex of the patients (" + std::to_string(total) + " images)") << "\n"
    << "$D << EOD\n";
  double start = 90.0;  // degrees, counter-clockwise from 3 o'clock
  int li = 0;
  std::ostringstream labels;
  for (int i = 0; i < 3; ++i) {
    const int n = s.sex_counts.at(kSexes[i]);
    const double span = total ? 360.0 * n / total : 0.0;
    d << "0 0 1 " << start << " " << start + span << " " << i << "\n";
    labels << "set label " << ++li << " "
           << qc(std::string(kSexes[i]) + ": " + pct(n, total) + " (" + std::to_string(n) + ")")
           << " at 1.15," << 0.35 - 0.25 * i << " left textcolor rgb '" << kSexColors[i]
           << "' font 'DejaVu Sans Bold,13'\n";
    if (n > 0 && span > 8) {
      const double mid = (start + span / 2) * 3.14159265358979 / 180.0;
      labels << "set label " << ++li << " " << qc(pct(n, total)) << " at " << 0.62 * std::cos(mid)
             << "," << 0.62 * std::sin(mid)
             << " center textcolor rgb 'white' font 'DejaVu Sans Bold,14' front\n";
    }
    start += span;
  }
  d << "EOD\n"
    << labels.str() << "set palette defined (0 '" << kSexColors[0] << "', 1 '" << kSexColors[1]
    << "', 2 '" << kSexColors[2] << "')\nset cbrange [0:2]\nunset colorbox\n"
    << "plot $D using 1:2:3:4:5:6 with circles lc palette\n";
  return {"sex_distribution", "Sex distribution",
          "Share of images by the patient's recorded sex; 'unknown' is shown, not dropped.",
          d.str()};
}

ChartSpec age_histogram(const Stats& s) {
  std::ostringstream d;
  d << "$D << EOD\n";
  for (const AgeBin& b : s.age_bins) {
    d << (b.lo + b.hi) / 2.0 << " " << b.count << " "
      << q(std::to_string(b.lo) + "-" + std::to_string(b.hi - 1)) << "\n";
  }
  d << "EOD\n"
    << common() << "set title "
    << qc("Age at imaging, 5-year bins (" + std::to_string(s.age_unknown) +
          " images with unknown age not plotted)")
    << "\n"
    << "set xlabel 'Age (years)'\nset ylabel 'Images'\nunset key\nset boxwidth 4.6\n"
    << "set style fill solid 0.85 border -1\nset xtics rotate by 45 right\nset yrange [0:*]\n"
    << "set offsets 0, 0, graph 0.08, 0\n"
    << "set label 1 " << qc("unknown age: " + std::to_string(s.age_unknown))
    << " at graph 0.02, graph 0.95 left\n"
    << "plot $D using 1:2:xticlabels(3) with boxes lc rgb '#59a14f', "
       "$D using 1:2:2 with labels offset 0,0.7 font ',9'\n";
  return {"age_histogram", "Age distribution",
          "Images per 5-year age bin. Ages missing from the metadata are counted separately and "
          "stated in the title.",
          d.str()};
}

ChartSpec localization_by_sex(const Stats& s) {
  std::ostringstream d;
  d << "$D << EOD\n";
  for (const auto& r : s.localization_by_sex) {
    d << q(r.localization);
    for (const char* sex : kSexes) d << " " << r.by_sex.at(sex);
    d << "\n";
  }
  d << "EOD\n"
    << common()
    << "set title 'Body site of the lesion, by sex (sorted by total)'\nset ylabel 'Images'\n"
    << "set style data histograms\nset style histogram clustered gap 1\n"
    << "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset xtics rotate by 40 right\n"
    << "set key top right\nset yrange [0:*]\nset bmargin 9\n"
    << "plot $D using 2:xticlabels(1) title 'male' lc rgb '" << kSexColors[0] << "', "
    << "'' using 3 title 'female' lc rgb '" << kSexColors[1] << "', "
    << "'' using 4 title 'unknown' lc rgb '" << kSexColors[2] << "'\n";
  return {"localization_by_sex", "Localization by sex",
          "Images per body site, split by sex and sorted by total count.", d.str()};
}

ChartSpec images_per_lesion(const Stats& s) {
  std::ostringstream d;
  d << "$D << EOD\n";
  for (const auto& [k, n] : s.images_per_lesion) d << k << " " << n << "\n";
  d << "EOD\n"
    << common() << "set title "
    << qc("Images per lesion (" + std::to_string(s.lesions) + " lesions, " +
          std::to_string(s.images) + " images)")
    << "\n"
    << "set xlabel 'Images of the same lesion'\nset ylabel 'Lesions'\nunset key\n"
    << "set boxwidth 0.7\nset style fill solid 0.85 border -1\nset xtics 1\nset yrange [0:*]\n"
    << "set offsets 0.5, 0.5, graph 0.08, 0\n"
    << "plot $D using 1:2 with boxes lc rgb '#f28e2b', $D using 1:2:2 with labels offset 0,0.8\n";
  return {"images_per_lesion", "Images per lesion",
          "How many lesions have 1, 2, 3... images. Images of one lesion must stay on one side "
          "of a train/test split, or the test score leaks.",
          d.str()};
}

ChartSpec dx_type_by_class(const Stats& s) {
  std::vector<std::string> types;
  for (const auto& m : s.dx_type_by_class)
    for (const auto& [t, n] : m)
      if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
  std::ostringstream d;
  d << "$D << EOD\n";
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    d << q(std::string(class_code(static_cast<ClassId>(c))));
    for (const auto& t : types) {
      auto it = s.dx_type_by_class[c].find(t);
      d << " " << (it == s.dx_type_by_class[c].end() ? 0 : it->second);
    }
    d << "\n";
  }
  d << "EOD\n"
    << common() << "set title 'How each diagnosis was confirmed (dx_type), share of the class'\n"
    << "set ylabel 'Share of images (%)'\nset style data histograms\n"
    << "set style histogram rowstacked\nset style fill solid 0.85 border -1\nset boxwidth 0.7\n"
    << "set yrange [0:100]\nset key outside right\n";
  d << "plot ";
  for (std::size_t i = 0; i < types.size(); ++i) {
    std::string sum;
    for (std::size_t k = 0; k < types.size(); ++k) sum += (k ? "+$" : "$") + std::to_string(k + 2);
    d << (i ? ", '' " : "$D ") << "using (100.0*$" << i + 2 << "/(" << sum << "))"
      << (i == 0 ? ":xticlabels(1)" : "") << " title " << qc(types[i]);
  }
  d << "\n";
  return {"dx_type_by_class", "Diagnosis confirmation per class",
          "How the ground truth was established: histopathology (histo), follow-up, expert "
          "consensus or confocal microscopy. Exact counts are in eda.json.",
          d.str()};
}

ChartSpec age_by_class(const Stats& s) {
  std::ostringstream d;
  d << "$D << EOD\n";
  for (std::size_t b = 0; b < s.age_bins.size(); ++b) {
    d << (s.age_bins[b].lo + s.age_bins[b].hi) / 2.0;
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      int total = 0;
      for (int n : s.age_bins_by_class[c]) total += n;
      d << " " << (total ? 100.0 * s.age_bins_by_class[c][b] / total : 0.0);
    }
    d << "\n";
  }
  d << "EOD\n"
    << common()
    << "set title 'Age distribution per diagnosis (share of the class per 5-year bin)'\n"
    << "set xlabel 'Age (years)'\nset ylabel 'Share of the class (%)'\nset key outside right\n"
    << "set yrange [0:*]\nset xtics 10\nplot ";
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    d << (c ? ", " : "") << "$D using 1:" << c + 2 << " with linespoints lw 2 pt 7 ps 0.6 title "
      << qc(std::string(class_code(static_cast<ClassId>(c))));
  }
  d << "\n";
  return {"age_by_class", "Age distribution per class",
          "Each line is one diagnosis, normalised to 100% so small classes are comparable: "
          "malignant classes sit at older ages than nevi.",
          d.str()};
}

}  // namespace

std::vector<ChartSpec> chart_specs(const Stats& s) {
  return {class_frequency(s),   sex_distribution(s), age_histogram(s), localization_by_sex(s),
          images_per_lesion(s), dx_type_by_class(s), age_by_class(s)};
}

}  // namespace skinscan::eda
