#include "train/evaluate.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/parallel.h"
#include "data/progress.h"
#include "plot/gnuplot.h"

namespace skinscan {

ProbRows to_rows(const torch::Tensor& probs) {
  const torch::Tensor p = probs.to(torch::kCPU).contiguous();
  ProbRows rows(static_cast<std::size_t>(p.size(0)));
  const float* d = p.data_ptr<float>();
  const auto k = static_cast<std::size_t>(p.size(1));
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].assign(d + i * k, d + (i + 1) * k);
  return rows;
}

Evaluation evaluate_logits(const torch::Tensor& logits, const Calibration& calibration,
                           const std::vector<int>& labels, int bootstrap) {
  Evaluation e;
  e.logits = logits;
  const ProbRows probs = to_rows(calibrate(logits, calibration));
  e.metrics = compute_metrics(labels, argmax_rows(probs), probs, bootstrap);
  Calibration raw = calibration;
  raw.temperature = 1.0;
  e.ece_uncalibrated = expected_calibration_error(labels, to_rows(calibrate(logits, raw)));
  return e;
}

Evaluation evaluate(const Classifier& model, const std::vector<cv::Mat>& images,
                    const std::vector<int>& labels, int tta, int bootstrap, bool progress) {
  constexpr std::size_t kBatch = 64;
  std::vector<torch::Tensor> parts;
  Progress bar("Evaluating", images.size());
  const bool show = progress && bar.enabled();
  for (std::size_t i = 0; i < images.size(); i += kBatch) {
    const std::size_t end = std::min(images.size(), i + kBatch);
    std::vector<cv::Mat> batch(images.begin() + static_cast<long>(i),
                               images.begin() + static_cast<long>(end));
    parts.push_back(model.logits(batch, tta));
    if (show) bar.advance(end - i);
  }
  bar.finish();
  const torch::Tensor logits =
      parts.empty() ? torch::zeros({0, static_cast<long>(kNumClasses)}) : torch::cat(parts);
  return evaluate_logits(logits, model.info().calibration, labels, bootstrap);
}

std::vector<ShiftedEvaluation> evaluate_shifted(const Classifier& model,
                                                const std::vector<cv::Mat>& images,
                                                const std::vector<int>& labels,
                                                const std::vector<AcquisitionShift>& shifts,
                                                int bootstrap, bool progress) {
  std::vector<ShiftedEvaluation> out;
  std::vector<cv::Mat> shifted(images.size());
  for (const AcquisitionShift& shift : shifts) {
    parallel_for(images.size(),
                 [&](std::size_t i) { shifted[i] = apply_acquisition_shift(images[i], shift, i); });
    out.push_back({shift, evaluate(model, shifted, labels, 1, bootstrap, progress)});
  }
  return out;
}

nlohmann::ordered_json evaluation_json(const Evaluation& e) {
  auto j = metrics_json(e.metrics);
  j["ece_before_calibration"] = e.ece_uncalibrated;
  j["ece_after_calibration"] = e.metrics.ece;
  return j;
}

void write_evaluation_files(const Evaluation& e, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const Metrics& m = e.metrics;
  std::ostringstream md;
  md << "| class | code | precision | recall | f1 | support | AUC "
        "|\n|---|---|---|---|---|---|---|\n";
  char buf[256];
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    const auto id = static_cast<ClassId>(c);
    std::snprintf(buf, sizeof buf, "| %s | %s | %.3f | %.3f | %.3f | %d | %.3f |\n",
                  std::string(class_name(id)).c_str(), std::string(class_code(id)).c_str(),
                  m.per_class[c].precision, m.per_class[c].recall, m.per_class[c].f1,
                  m.per_class[c].support, m.auc_ovr[c]);
    md << buf;
  }
  std::snprintf(buf, sizeof buf,
                "\nn %d, accuracy %.3f [%.3f, %.3f], balanced accuracy %.3f [%.3f, %.3f], "
                "macro F1 %.3f, ECE %.3f (before calibration %.3f)\n",
                m.n, m.accuracy, m.accuracy_ci.lo, m.accuracy_ci.hi, m.balanced_accuracy,
                m.balanced_accuracy_ci.lo, m.balanced_accuracy_ci.hi, m.macro_f1, m.ece,
                e.ece_uncalibrated);
  md << buf;
  std::ofstream(std::filesystem::path(dir) / "per_class.md") << md.str();

  // Confusion matrix heat map, row-normalised colour, counts as labels.
  std::ostringstream s;
  s << "$M << EOD\n";
  for (std::size_t t = 0; t < kNumClasses; ++t) {
    int row = 0;
    for (int v : m.confusion[t]) row += v;
    for (std::size_t p = 0; p < kNumClasses; ++p) {
      s << p << " " << t << " " << (row ? 100.0 * m.confusion[t][p] / row : 0.0) << " "
        << m.confusion[t][p] << "\n";
    }
  }
  s << "EOD\nset termoption noenhanced\nset title 'Confusion matrix (rows: true class; colour: "
       "% of the row)'\nset xlabel 'Predicted'\nset ylabel 'True'\n"
       "set xrange [-0.5:6.5]\nset yrange [6.5:-0.5]\nset cbrange [0:100]\n"
       "set palette defined (0 'white', 100 '#2b5d9b')\nset size ratio -1\nset xtics (";
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    s << (c ? ", " : "") << "'" << class_code(static_cast<ClassId>(c)) << "' " << c;
  }
  s << ")\nset ytics (";
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    s << (c ? ", " : "") << "'" << class_code(static_cast<ClassId>(c)) << "' " << c;
  }
  s << ")\nplot $M using 1:2:3 with image notitle, $M using 1:2:(sprintf('%d', $4)) with labels "
       "notitle font ',12'\n";
  plot::render_charts({{"confusion_matrix", "Confusion matrix", "", s.str()}}, dir);
}

}  // namespace skinscan
