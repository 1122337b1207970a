#include "train/finalize.h"

#include <ctime>

#include "train/evaluate.h"
#include "train/operating_point.h"

namespace skinscan {

std::string utc_date() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
  return buf;
}

LabelledImages load_part(const Dataset& ds, const std::vector<std::size_t>& idx,
                         const InputSpec& spec, bool progress) {
  LabelledImages out{load_model_inputs(ds, idx, spec, progress), {}};
  for (std::size_t i : idx) out.labels.push_back(ds.samples[i].dx);
  return out;
}

torch::Tensor batch_logits(const Net& net, const std::vector<cv::Mat>& images,
                           const InputSpec& spec, torch::Device device) {
  torch::NoGradGuard guard;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (std::size_t i = 0; i < images.size(); i += 256) {
    std::vector<cv::Mat> b(images.begin() + static_cast<long>(i),
                           images.begin() + static_cast<long>(std::min(images.size(), i + 256)));
    parts.push_back(net->forward(to_tensor(b, spec).to(device)).to(torch::kCPU));
  }
  return parts.empty() ? torch::zeros({0, static_cast<long>(kNumClasses)}) : torch::cat(parts);
}

// Besides the prior adjustment and temperature, the decision's low-risk operating point is
// fitted on validation (fit_operating_point), and the test rows' decision table is stored
// under metrics.test.decisions (without the not-a-lesion detector, fitted later).
Finalized calibrate_and_score(const Net& net, ModelInfo& info, const LabelledImages& val,
                              const LabelledImages& test, double min_mel_recall,
                              double lowest_adjustment) {
  Finalized out;
  const torch::Tensor val_logits = batch_logits(net, val.images, info.input, torch::kCPU);
  out.prior = choose_prior_adjustment(val_logits, val.labels, info.calibration, min_mel_recall,
                                      lowest_adjustment);
  info.calibration.prior_adjustment = out.prior.adjustment;
  info.calibration.temperature = fit_temperature(val_logits, val.labels, info.calibration);
  fit_operating_point(class_probs(calibrate(val_logits, info.calibration)), val.labels, info);
  out.metrics["validation"] =
      evaluation_json(evaluate_logits(val_logits, info.calibration, val.labels));
  if (!test.labels.empty()) {
    const torch::Tensor test_logits = batch_logits(net, test.images, info.input, torch::kCPU);
    const Evaluation te = evaluate_logits(test_logits, info.calibration, test.labels);
    out.metrics["test"] = evaluation_json(te);
    std::vector<Finding> findings;
    for (const ClassProbs& p : class_probs(calibrate(test_logits, info.calibration)))
      findings.push_back(decide(p, model_rule(info)));
    out.metrics["test"]["decisions"] = decision_table_json(tabulate(findings, test.labels));
  }
  return out;
}

}  // namespace skinscan
