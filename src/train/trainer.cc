#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "data/error.h"
#include "data/progress.h"
#include "plot/gnuplot.h"
#include "train/calibrate.h"
#include "train/evaluate.h"
#include "train/finalize.h"

namespace skinscan {

namespace {

constexpr double kWarmupFraction = 0.05;  // of all steps, linear warm-up

double lr_at(const TrainOptions& o, std::size_t step, std::size_t total) {
  const double t = static_cast<double>(step) / static_cast<double>(std::max<std::size_t>(total, 1));
  const double warm = o.schedule == "onecycle" ? kWarmupFraction : 0.0;
  if (t < warm) return o.lr * (0.04 + 0.96 * t / warm);
  const double p = (t - warm) / (1.0 - warm);
  return o.lr * (0.002 + 0.998 * 0.5 * (1.0 + std::cos(M_PI * p)));
}

std::vector<torch::Tensor> snapshot(const Net& net) {
  std::vector<torch::Tensor> s;
  for (const auto& p : net->parameters()) s.push_back(p.detach().clone());
  for (const auto& b : net->buffers()) s.push_back(b.detach().clone());
  return s;
}

void restore(const Net& net, const std::vector<torch::Tensor>& s) {
  torch::NoGradGuard guard;
  std::size_t k = 0;
  for (auto& p : net->parameters()) p.copy_(s[k++]);
  for (auto& b : net->buffers()) b.copy_(s[k++]);
}

void write_curves(const nlohmann::ordered_json& history, const std::string& dir) {
  std::ostringstream s;
  s << "$H << EOD\n";
  for (const auto& e : history) {
    s << e["epoch"].get<int>() << " " << e["train_loss"].get<double>() << " "
      << e["val_loss"].get<double>() << " " << e["train_accuracy"].get<double>() << " "
      << e["val_accuracy"].get<double>() << " " << e["val_balanced_accuracy"].get<double>() << "\n";
  }
  s << "EOD\nset termoption noenhanced\nset multiplot layout 1,2 title 'Training curves'\n"
       "set xlabel 'Epoch'\nset grid\nset key top right\nset title 'Loss'\n"
       "plot $H using 1:2 with linespoints title 'train', $H using 1:3 with linespoints "
       "title 'validation'\nset title 'Accuracy'\nset yrange [0:1]\nset key bottom right\n"
       "plot $H using 1:4 with linespoints title 'train', $H using 1:5 with linespoints "
       "title 'validation', $H using 1:6 with linespoints title 'validation balanced'\n"
       "unset multiplot\n";
  plot::render_charts({{"training_curves", "Training curves", "", s.str()}}, dir);
}

}  // namespace

nlohmann::ordered_json train_options_json(const TrainOptions& o) {
  return {{"arch", o.arch},
          {"backbone", o.backbone},
          {"input_width", o.input_width},
          {"input_height", o.input_height},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"lr", o.lr},
          {"weight_decay", o.weight_decay},
          {"optimizer", o.optimizer},
          {"schedule", o.schedule},
          {"label_smoothing", o.label_smoothing},
          {"balance", o.balance},
          {"logit_tau", o.logit_tau},
          {"min_mel_recall", o.min_mel_recall},
          {"augment", o.augment},
          {"seed", o.seed},
          {"limit", o.limit}};
}

Classifier train_model(const Dataset& ds, const Split& split, const TrainOptions& o,
                       const std::string& out_dir) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (o.balance != "none" && o.balance != "oversample" && o.balance != "weighted" &&
      o.balance != "logit-adjust") {
    throw skinscan::Error(
        skinscan::ErrorCode::kInvalidArgument,
        "unknown --balance '" + o.balance + "' (none, oversample, weighted, logit-adjust)");
  }
  if (o.optimizer != "adamw" && o.optimizer != "sgd") {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "unknown --optimizer '" + o.optimizer + "' (adamw, sgd)");
  }
  if (o.schedule != "onecycle" && o.schedule != "cosine") {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "unknown --schedule '" + o.schedule + "' (onecycle, cosine)");
  }
  if (o.arch == "ensemble") {
    throw skinscan::Error(
        skinscan::ErrorCode::kInvalidArgument,
        "arch ensemble is not trained: train its members, then run skinscan ensemble");
  }
  arch_info(o.arch);  // an unknown architecture fails before any image is decoded
  torch::manual_seed(o.seed);
  if (o.threads > 0) torch::set_num_threads(o.threads);
  const torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;

  ModelInfo info;
  info.arch = o.arch;
  info.input = arch_info(o.arch).input;
  if (o.input_width > 0 && o.input_height > 0) {
    info.input.width = o.input_width;
    info.input.height = o.input_height;
  }
  info.name = "skinscan-" + o.arch;
  info.version = o.version.empty() ? utc_date() + "-" + o.arch : o.version;

  std::vector<std::size_t> train_idx = split.indices(Part::kTrain);
  const std::vector<std::size_t> val_idx = split.indices(Part::kVal);
  const std::vector<std::size_t> test_idx = split.indices(Part::kTest);
  if (o.limit > 0 && train_idx.size() > o.limit) {
    std::mt19937_64 rng(o.seed);
    std::shuffle(train_idx.begin(), train_idx.end(), rng);
    train_idx.resize(o.limit);
    std::sort(train_idx.begin(), train_idx.end());
  }
  if (train_idx.empty() || val_idx.empty()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "the split needs train and validation images");
  }

  const LabelledImages train = load_part(ds, train_idx, info.input, o.progress);
  const LabelledImages val = load_part(ds, val_idx, info.input, o.progress);
  const LabelledImages test = load_part(ds, test_idx, info.input, o.progress);

  // Class prior of the training images.
  std::vector<int> counts(kNumClasses, 0);
  for (int y : train.labels) ++counts[static_cast<std::size_t>(y)];
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    info.calibration.log_prior[c] =
        std::log((counts[c] + 1.0) / (static_cast<double>(train.labels.size()) + kNumClasses));
  }
  std::vector<float> lp(info.calibration.log_prior.begin(), info.calibration.log_prior.end());
  const torch::Tensor log_prior = torch::tensor(lp).to(device).unsqueeze(0);
  std::vector<float> weights(kNumClasses, 1.0f);
  if (o.balance == "weighted") {
    for (std::size_t c = 0; c < kNumClasses; ++c) {
      weights[c] = counts[c] ? static_cast<float>(train.labels.size()) /
                                   static_cast<float>(kNumClasses * counts[c])
                             : 0.0f;
    }
  }
  const torch::Tensor class_weights = torch::tensor(weights).to(device);

  Net net = make_net(o.arch, info.input, o.backbone);
  net->to(device);
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (o.optimizer == "adamw") {
    opt = std::make_unique<torch::optim::AdamW>(
        net->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  } else {
    opt = std::make_unique<torch::optim::SGD>(
        net->parameters(),
        torch::optim::SGDOptions(o.lr).momentum(0.9).nesterov(true).weight_decay(o.weight_decay));
  }

  // Epoch plan: oversampling repeats minority images up to the majority count.
  std::mt19937 rng(static_cast<std::uint32_t>(o.seed));
  auto epoch_order = [&]() {
    std::vector<std::size_t> order;
    if (o.balance == "oversample") {
      std::vector<std::vector<std::size_t>> by(kNumClasses);
      for (std::size_t i = 0; i < train.labels.size(); ++i)
        by[static_cast<std::size_t>(train.labels[i])].push_back(i);
      const std::size_t major = std::max_element(by.begin(), by.end(), [](auto& a, auto& b) {
                                  return a.size() < b.size();
                                })->size();
      for (auto& v : by) {
        if (v.empty()) continue;
        order.insert(order.end(), v.begin(), v.end());
        std::uniform_int_distribution<std::size_t> pick(0, v.size() - 1);
        for (std::size_t k = v.size(); k < major; ++k) order.push_back(v[pick(rng)]);
      }
    } else {
      for (std::size_t i = 0; i < train.labels.size(); ++i) order.push_back(i);
    }
    std::shuffle(order.begin(), order.end(), rng);
    return order;
  };
  const std::size_t per_epoch = epoch_order().size();
  const std::size_t steps_per_epoch = (per_epoch + o.batch_size - 1) / o.batch_size;
  const std::size_t total_steps = steps_per_epoch * static_cast<std::size_t>(o.epochs);

  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  std::vector<torch::Tensor> best;
  double best_bacc = -1;
  int best_epoch = 0;
  std::size_t step = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    net->train();
    const auto order = epoch_order();
    const auto t0 = std::chrono::steady_clock::now();
    Progress bar("Epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), order.size());
    double loss_sum = 0;
    std::size_t seen = 0, correct = 0;
    for (std::size_t b = 0; b < order.size(); b += static_cast<std::size_t>(o.batch_size)) {
      const std::size_t end = std::min(order.size(), b + static_cast<std::size_t>(o.batch_size));
      std::vector<cv::Mat> imgs;
      std::vector<long> ys;
      for (std::size_t k = b; k < end; ++k) {
        const std::size_t i = order[k];
        imgs.push_back(o.augment ? augment(train.images[i], o.augment_options, rng)
                                 : train.images[i]);
        ys.push_back(train.labels[i]);
      }
      const torch::Tensor x = to_tensor(imgs, info.input).to(device);
      const torch::Tensor y = torch::tensor(ys).to(device);
      for (auto& g : opt->param_groups()) {
        const double lr = lr_at(o, step, total_steps);
        if (o.optimizer == "adamw")
          static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        else
          static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
      }
      opt->zero_grad();
      torch::Tensor logits = net->forward(x);
      torch::Tensor train_logits =
          o.balance == "logit-adjust" ? logits + o.logit_tau * log_prior : logits;
      auto ce = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
      if (o.balance == "weighted") ce.weight(class_weights);
      torch::Tensor loss = torch::nn::functional::cross_entropy(train_logits, y, ce);
      loss.backward();
      opt->step();
      ++step;
      loss_sum += loss.item<double>() * static_cast<double>(end - b);
      correct += static_cast<std::size_t>(logits.argmax(1).eq(y).sum().item<long>());
      seen += end - b;
      bar.advance(end - b);
      char sfx[96];
      std::snprintf(sfx, sizeof sfx, "loss %.3f acc %.3f", loss_sum / seen,
                    static_cast<double>(correct) / seen);
      bar.set_suffix(sfx);
    }
    bar.finish();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const torch::Tensor vl = batch_logits(net, val.images, info.input, device);
    Calibration plain = info.calibration;  // prior adjustment 0, T 1: raw balanced logits
    const double val_loss = nll(vl, val.labels, plain);
    const torch::Tensor vp = vl.argmax(1);
    std::vector<int> vpred(vp.data_ptr<long>(), vp.data_ptr<long>() + vp.numel());
    int vc = 0;
    for (std::size_t i = 0; i < vpred.size(); ++i) vc += vpred[i] == val.labels[i];
    const double vacc = static_cast<double>(vc) / static_cast<double>(vpred.size());
    const double vbacc = balanced_accuracy(val.labels, vpred, static_cast<int>(kNumClasses));
    history.push_back({{"epoch", epoch},
                       {"lr", lr_at(o, step, total_steps)},
                       {"train_loss", loss_sum / static_cast<double>(seen)},
                       {"train_accuracy", static_cast<double>(correct) / static_cast<double>(seen)},
                       {"val_loss", val_loss},
                       {"val_accuracy", vacc},
                       {"val_balanced_accuracy", vbacc},
                       {"seconds", secs},
                       {"images_per_second", static_cast<double>(seen) / secs}});
    std::fprintf(
        stderr,
        "epoch %d: train loss %.4f acc %.3f | val loss %.4f acc %.3f bal %.3f | %.0f img/s\n",
        epoch, loss_sum / seen, static_cast<double>(correct) / seen, val_loss, vacc, vbacc,
        seen / secs);
    if (vbacc > best_bacc) {
      best_bacc = vbacc;
      best_epoch = epoch;
      best = snapshot(net);
    }
  }
  restore(net, best);
  net->eval();
  net->to(torch::kCPU);

  // Post-training choices on validation only; test only scored.
  const Finalized fin = calibrate_and_score(net, info, val, test, o.min_mel_recall);
  const PriorChoice& prior = fin.prior;
  const nlohmann::ordered_json& metrics = fin.metrics;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  info.extra["training"] = train_options_json(o);
  info.extra["training"]["best_epoch"] = best_epoch;
  info.extra["training"]["wall_seconds"] = wall;
  info.extra["training"]["device"] = device.is_cuda() ? "cuda" : "cpu";
  info.extra["training"]["torch_threads"] = torch::get_num_threads();
  info.extra["training"]["prior_choice_on_validation"] = {
      {"adjustment", prior.adjustment},
      {"accuracy", prior.accuracy},
      {"balanced_accuracy", prior.balanced_accuracy},
      {"melanoma_recall", prior.melanoma_recall}};
  info.extra["data"] = {{"dataset_fingerprint", ds.fingerprint()},
                        {"split_fingerprint", split.fingerprint()},
                        {"split_source", split.source},
                        {"train_images", train.labels.size()},
                        {"val_images", val.labels.size()},
                        {"test_images", test.labels.size()},
                        {"train_class_counts", counts}};
  info.extra["metrics"] = metrics;
  save_model(out_dir, info, net);
  std::ofstream(std::filesystem::path(out_dir) / "history.json") << history.dump(2) << "\n";
  write_curves(history, out_dir);
  return Classifier(info, net);
}

}  // namespace skinscan
