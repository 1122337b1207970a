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
#include "train/evaluate.h"
#include "train/finalize.h"
#include "train/masks.h"
#include "train/train_step.h"
#include "train/weight_average.h"

namespace skinscan {

namespace fs = std::filesystem;

nlohmann::ordered_json history_json(const std::vector<EpochRecord>& history) {
  nlohmann::ordered_json h = nlohmann::ordered_json::array();
  for (const EpochRecord& e : history) {
    h.push_back({{"epoch", e.epoch},
                 {"lr", e.lr},
                 {"train_loss", e.train_loss},
                 {"train_accuracy", e.train_accuracy},
                 {"mask_loss", e.mask_loss},
                 {"val_loss", e.val_loss},
                 {"val_accuracy", e.val_accuracy},
                 {"val_balanced_accuracy", e.val_balanced_accuracy},
                 {"seconds", e.seconds},
                 {"images_per_second", e.images_per_second}});
  }
  return h;
}

namespace {

std::vector<EpochRecord> history_from_json(const nlohmann::json& h) {
  std::vector<EpochRecord> out;
  for (const auto& e : h) {
    EpochRecord r;
    r.epoch = e.at("epoch");
    r.lr = e.at("lr");
    r.train_loss = e.at("train_loss");
    r.train_accuracy = e.at("train_accuracy");
    r.mask_loss = e.at("mask_loss");
    r.val_loss = e.at("val_loss");
    r.val_accuracy = e.at("val_accuracy");
    r.val_balanced_accuracy = e.at("val_balanced_accuracy");
    r.seconds = e.at("seconds");
    r.images_per_second = e.at("images_per_second");
    out.push_back(r);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json training_json(const TrainingRecord& r) {
  nlohmann::ordered_json j = train_options_json(r.options);
  j["best_epoch"] = r.best_epoch;
  j["wall_seconds"] = r.wall_seconds;
  j["device"] = r.device;
  j["torch_threads"] = r.torch_threads;
  if (r.resumed_at_epoch > 0) j["resumed_after_epoch"] = r.resumed_at_epoch;
  if (r.averaged.last_epoch > 0) {
    j["averaged_weights"] = {
        {"first_epoch", r.averaged.first_epoch},
        {"last_epoch", r.averaged.last_epoch},
        {"val_loss", r.averaged.val_loss},
        {"val_accuracy", r.averaged.val_accuracy},
        {"val_balanced_accuracy", r.averaged.val_balanced_accuracy},
        {"last_epoch_choices",
         {{"prior_choice_on_validation", prior_choice_json(r.averaged.last_epoch_network.prior)},
          {"validation", r.averaged.last_epoch_network.metrics.at("validation")}}}};
  }
  j["prior_choice_on_validation"] = prior_choice_json(r.prior);
  return j;
}

nlohmann::ordered_json data_json(const TrainingRecord& r) {
  return {{"dataset_fingerprint", r.dataset_fingerprint},
          {"split_fingerprint", r.split_fingerprint},
          {"split_source", r.split_source},
          {"train_images", r.train_images},
          {"val_images", r.val_images},
          {"test_images", r.test_images},
          {"train_class_counts", r.train_class_counts}};
}

namespace {

constexpr const char* kCheckpointDir = "checkpoint";

EpochRecord train_epoch(TrainingRun& run, int epoch) {
  const TrainOptions& o = run.o;
  run.net->train();
  const std::vector<std::size_t> order = epoch_order(run);
  const auto t0 = std::chrono::steady_clock::now();
  Progress bar("Epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), order.size());
  double loss_sum = 0, mask_sum = 0;
  std::size_t seen = 0, correct = 0;
  const auto batch = static_cast<std::size_t>(o.batch_size);
  for (std::size_t b = 0; b < order.size(); b += batch) {
    const std::vector<std::size_t> indices(
        order.begin() + static_cast<long>(b),
        order.begin() + static_cast<long>(std::min(order.size(), b + batch)));
    const StepResult s = train_step(run, indices);
    const auto n = static_cast<double>(indices.size());
    loss_sum += s.loss * n;
    mask_sum += s.mask_loss * n;
    correct += s.correct;
    seen += indices.size();
    bar.advance(indices.size());
    char sfx[96];
    std::snprintf(sfx, sizeof sfx, "loss %.3f acc %.3f", loss_sum / seen,
                  static_cast<double>(correct) / seen);
    bar.set_suffix(sfx);
  }
  bar.finish();
  EpochRecord r;
  r.epoch = epoch;
  r.lr = lr_at(o, run.step, run.total_steps);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.train_loss = loss_sum / static_cast<double>(seen);
  r.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
  r.mask_loss = mask_sum / static_cast<double>(seen);
  r.images_per_second = static_cast<double>(seen) / r.seconds;
  return r;
}

struct ValScores {
  double loss = 0, accuracy = 0, balanced_accuracy = 0;
};

// Raw (uncalibrated) scores of the network on validation, at the balanced operating point
// it was trained for (balanced_prior_adjustment, T 1): the logits as they are after
// oversampling, half the log prior taken off after square-root oversampling, all of it after
// natural sampling.
ValScores evaluate(const Net& net, const LabelledImages& val, const ModelInfo& info,
                   torch::Device device, Balance balance) {
  const torch::Tensor vl = batch_logits(net, val.images, info.input, device);
  Calibration plain = info.calibration;
  plain.prior_adjustment = balanced_prior_adjustment(balance);
  plain.temperature = 1;
  ValScores s;
  s.loss = nll(vl, val.labels, plain);
  const torch::Tensor vp = (plain.prior_adjustment == 0 ? vl : calibrate(vl, plain)).argmax(1);
  std::vector<int> pred(vp.data_ptr<long>(), vp.data_ptr<long>() + vp.numel());
  int right = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) right += pred[i] == val.labels[i];
  s.accuracy = static_cast<double>(right) / static_cast<double>(pred.size());
  s.balanced_accuracy = balanced_accuracy(val.labels, pred, static_cast<int>(kNumClasses));
  return s;
}

// The weights validation scores and the model ships: the EMA copy when EMA is on.
template <typename Fn>
void with_shipped_weights(TrainingRun& run, Fn fn) {
  if (run.ema.shadow.empty()) return fn();
  const std::vector<torch::Tensor> live = snapshot(*run.net);
  restore(*run.net, run.ema.shadow);
  fn();
  restore(*run.net, live);
}

// --- checkpoints -----------------------------------------------------------------------

// What must match for --resume: every option that changes what is trained, and the
// distillation teacher's version (a teacher retrained in place keeps its path).
nlohmann::ordered_json resume_key(const TrainOptions& o, const std::optional<Classifier>& teacher) {
  nlohmann::ordered_json key = train_options_json(o);
  if (teacher) key["distill"]["teacher_version"] = teacher->info().version;
  return key;
}

void save_tensors(const std::vector<torch::Tensor>& t, const fs::path& path) {
  torch::save(t, path.string());
}

std::vector<torch::Tensor> load_tensors(const fs::path& path) {
  std::vector<torch::Tensor> t;
  torch::load(t, path.string());
  return t;
}

void save_checkpoint(const TrainingRun& run, const std::vector<EpochRecord>& history, int epoch,
                     const nlohmann::ordered_json& key, const fs::path& out) {
  const fs::path dir = out / kCheckpointDir, tmp = out / (std::string(kCheckpointDir) + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  save_tensors(snapshot(*run.net), tmp / "net.pt");
  if (!run.ema.shadow.empty()) save_tensors(run.ema.shadow, tmp / "ema.pt");
  if (run.mask_head) save_tensors(snapshot(*run.mask_head), tmp / "mask_head.pt");
  if (!run.best.empty()) save_tensors(run.best, tmp / "best.pt");
  if (run.average.count > 0) save_tensors(run.average.mean, tmp / "average.pt");
  torch::save(*run.opt, (tmp / "optimizer.pt").string());
  save_tensors({at::detail::getDefaultCPUGenerator().get_state()}, tmp / "torch_rng.pt");
  std::ostringstream rng;
  rng << run.rng;
  nlohmann::ordered_json state = {{"epoch", epoch},
                                  {"step", run.step},
                                  {"best_bacc", run.best_bacc},
                                  {"best_epoch", run.best_epoch},
                                  {"averaged", run.average.count},
                                  {"rng", rng.str()},
                                  {"options", key},
                                  {"history", history_json(history)}};
  std::ofstream(tmp / "state.json") << state.dump(1) << "\n";
  fs::remove_all(dir);
  fs::rename(tmp, dir);
}

// Returns the last finished epoch (0 = nothing to resume from).
int load_checkpoint(TrainingRun& run, std::vector<EpochRecord>& history,
                    const nlohmann::ordered_json& key, const fs::path& out) {
  const fs::path dir = out / kCheckpointDir;
  if (!fs::exists(dir / "state.json")) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "--resume: no checkpoint in " + dir.string());
  }
  std::ifstream in(dir / "state.json");
  const nlohmann::json state = nlohmann::json::parse(in);
  if (state.at("options") != nlohmann::json(key)) {
    throw skinscan::Error(
        skinscan::ErrorCode::kInvalidArgument,
        "--resume: the options or the teacher differ from the interrupted run's (" +
            (dir / "state.json").string() + ")");
  }
  restore(*run.net, load_tensors(dir / "net.pt"));
  if (fs::exists(dir / "ema.pt")) run.ema.shadow = load_tensors(dir / "ema.pt");
  if (run.mask_head) restore(*run.mask_head, load_tensors(dir / "mask_head.pt"));
  if (fs::exists(dir / "best.pt")) run.best = load_tensors(dir / "best.pt");
  run.average.count = state.value("averaged", 0);
  if (run.average.count > 0) run.average.mean = load_tensors(dir / "average.pt");
  torch::load(*run.opt, (dir / "optimizer.pt").string());
  at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle to the global one
  gen.set_state(load_tensors(dir / "torch_rng.pt").at(0));
  std::istringstream rng(state.at("rng").get<std::string>());
  rng >> run.rng;
  run.step = state.at("step");
  run.best_bacc = state.at("best_bacc");
  run.best_epoch = state.at("best_epoch");
  history = history_from_json(state.at("history"));
  return state.at("epoch");
}

void write_curves(const std::vector<EpochRecord>& history, const std::string& dir) {
  std::ostringstream s;
  s << "$H << EOD\n";
  for (const EpochRecord& e : history) {
    s << e.epoch << " " << e.train_loss << " " << e.val_loss << " " << e.train_accuracy << " "
      << e.val_accuracy << " " << e.val_balanced_accuracy << "\n";
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

void check_options(const TrainOptions& o) {
  if (o.arch == "ensemble") {
    throw skinscan::Error(
        skinscan::ErrorCode::kInvalidArgument,
        "arch ensemble is not trained: train its members, then run skinscan ensemble");
  }
  arch_info(o.arch);  // an unknown architecture fails before any image is decoded
  if (o.replicas < 1 || o.replicas > o.batch_size) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "replicas must be between 1 and the batch size");
  }
  if (o.replicas > 1 && o.arch == "backbone") {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "replicas > 1 needs a SkinScan net (a TorchScript backbone's own "
                          "random draws cannot be given one generator per copy)");
  }
  if (o.ghost_batch_norm && o.replicas == 1) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "ghost batch norm is a data-parallel recipe: it needs replicas > 1");
  }
  if (o.epoch_rule == EpochRule::kAverageLast &&
      !(o.average_epochs >= 1 && o.average_epochs <= o.epochs)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "average-last needs 1 <= average epochs <= epochs");
  }
  if (!(o.ema_decay >= 0 && o.ema_decay < 1)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "EMA decay must be in [0, 1)");
  }
  if (!(o.mask_weight >= 0)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "mask weight must be >= 0");
  }
  if (o.mask_weight > 0 && !arch_info(o.arch).residual()) {
    std::string residual;
    for (const auto& a : architectures())
      if (a.residual()) residual += (residual.empty() ? "" : ", ") + a.name;
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "mask supervision needs a residual net (" + residual + ")");
  }
  if (o.mix != Mix::kNone &&
      !(o.mix_alpha > 0 && o.mix_probability >= 0 && o.mix_probability <= 1)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "mixing needs alpha > 0 and a probability in [0, 1]");
  }
  if (o.mix != Mix::kNone && o.mask_weight > 0) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "batch mixing is not combined with mask supervision (--mask-weight)");
  }
  if (!o.teacher.empty() && !(o.distill_weight >= 0 && o.distill_weight <= 1)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "distillation weight must be in [0, 1]");
  }
  if (!o.teacher.empty() && !(o.distill_temperature > 0)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "distillation temperature must be > 0");
  }
}

// The distillation teacher of `o` (none without one). Refused unless it was trained on this
// dataset and split (so it never saw the validation rows the student is judged and
// calibrated on) and takes exactly the student's input (the same tensor feeds both).
std::optional<Classifier> load_teacher(const TrainOptions& o, const Dataset& ds, const Split& split,
                                       const InputSpec& input) {
  if (o.teacher.empty()) return std::nullopt;
  Classifier teacher = Classifier::load(o.teacher);
  const ModelInfo& ti = teacher.info();
  const auto data = ti.extra.value("data", nlohmann::ordered_json::object());
  if (data.value("dataset_fingerprint", "") != ds.fingerprint() ||
      data.value("split_fingerprint", "") != split.fingerprint()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "teacher " + o.teacher + " was trained on dataset " +
                              data.value("dataset_fingerprint", "?") + " / split " +
                              data.value("split_fingerprint", "?") + ", not on this dataset " +
                              ds.fingerprint() + " / split " + split.fingerprint() +
                              " (its soft targets could carry the validation rows)");
  }
  if (!(ti.input == input)) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "teacher " + o.teacher + " takes " + std::to_string(ti.input.width) +
                              "x" + std::to_string(ti.input.height) +
                              " input with its own preprocessing; the student takes " +
                              std::to_string(input.width) + "x" + std::to_string(input.height) +
                              ": they must be the same");
  }
  return teacher;
}

void attach_teacher(TrainingRun& run, const Classifier& teacher) {
  run.teacher = teacher.net();
  run.teacher_calibration = teacher.info().calibration;
  run.teacher->eval();
  run.teacher->to(run.device);
  if (trains_channels_last(run.o)) set_memory_format(*run.teacher, at::MemoryFormat::ChannelsLast);
}

// Epoch rule average-last, after the last epoch. First scores the last epoch's network (kept
// in run.best) after its own validation-only choices, what `last` would ship from the same
// trajectory (test not scored), so one run compares both rules. Then loads the mean of the
// averaged epochs' weights into run.net, recomputes its BatchNorm statistics over one epoch of
// training batches, and returns the record with the averaged network's raw validation scores.
// run.net ends on run.device holding the averaged weights.
TrainingRecord::Averaged average_last_epochs(TrainingRun& run, const ModelInfo& info,
                                             const LabelledImages& val) {
  const TrainOptions& o = run.o;
  TrainingRecord::Averaged averaged;
  restore(*run.net, run.best);
  run.net->eval();
  run.net->to(torch::kCPU);
  ModelInfo last_info = info;
  averaged.last_epoch_network =
      calibrate_and_score(run.net, last_info, val, LabelledImages{}, o.min_mel_recall,
                          balanced_prior_adjustment(o.balance));
  run.net->to(run.device);
  restore(*run.net, run.average.mean);
  recompute_batch_norm_on_epoch(run);
  const ValScores v = evaluate(run.net, val, info, run.device, o.balance);
  averaged.first_epoch = o.epochs - run.average.count + 1;
  averaged.last_epoch = o.epochs;
  averaged.val_loss = v.loss;
  averaged.val_accuracy = v.accuracy;
  averaged.val_balanced_accuracy = v.balanced_accuracy;
  std::fprintf(stderr, "weights of epochs %d-%d averaged: val loss %.4f acc %.3f bal %.3f\n",
               averaged.first_epoch, o.epochs, v.loss, v.accuracy, v.balanced_accuracy);
  return averaged;
}

}  // namespace

std::optional<Classifier> train_model(const Dataset& ds, const Split& split, const TrainOptions& o,
                                      const std::string& out_dir) {
  const auto wall_start = std::chrono::steady_clock::now();
  check_options(o);
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
  info.input.colour = o.colour;
  info.input.field_of_view = o.field_of_view;
  info.name = "skinscan-" + o.arch;
  info.version = o.version.empty() ? utc_date() + "-" + o.arch : o.version;

  const std::optional<Classifier> teacher = load_teacher(o, ds, split, info.input);

  std::vector<std::size_t> train_idx = split.indices(Part::kTrain);
  const std::vector<std::size_t> val_idx = split.indices(Part::kVal);
  const std::vector<std::size_t> test_idx = split.indices(Part::kTest);
  if (o.limit > 0 && train_idx.size() > o.limit) {
    std::mt19937_64 pick(o.seed);
    std::shuffle(train_idx.begin(), train_idx.end(), pick);
    train_idx.resize(o.limit);
    std::sort(train_idx.begin(), train_idx.end());
  }
  if (train_idx.empty() || val_idx.empty()) {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "the split needs train and validation images");
  }
  const std::vector<cv::Mat> masks =
      o.mask_weight > 0 ? load_masks(ds, train_idx, info.input) : std::vector<cv::Mat>{};
  const LabelledImages train = load_part(ds, train_idx, info.input, o.progress);
  const LabelledImages val = load_part(ds, val_idx, info.input, o.progress);
  const LabelledImages test = load_part(ds, test_idx, info.input, o.progress);

  TrainingRecord record;
  record.options = o;
  record.train_class_counts.assign(kNumClasses, 0);
  for (int y : train.labels) ++record.train_class_counts[static_cast<std::size_t>(y)];
  const std::vector<int>& counts = record.train_class_counts;
  info.calibration.log_prior = log_class_prior(counts);
  const std::size_t steps_per_epoch =
      (epoch_length(o, train.labels) + o.batch_size - 1) / o.batch_size;
  TrainingRun run(o, info.input, device, train, masks, counts,
                  steps_per_epoch * static_cast<std::size_t>(o.epochs));
  if (teacher) attach_teacher(run, *teacher);
  std::vector<EpochRecord> history;

  fs::create_directories(out_dir);
  const nlohmann::ordered_json key = resume_key(o, teacher);
  const int done = o.resume ? load_checkpoint(run, history, key, out_dir) : 0;
  // A fresh run draws one epoch order before the first epoch and discards it: the trainer
  // that produced models/default sized its epochs that way, and keeping the draw keeps that
  // model reproducible bit for bit. (A resumed run restores the generator instead.)
  if (done == 0) epoch_order(run);
  record.resumed_at_epoch = done;
  for (int epoch = done + 1; epoch <= o.epochs; ++epoch) {
    EpochRecord r = train_epoch(run, epoch);
    ValScores v;
    bool kept = false;  // the epoch rule: does this epoch's network replace the kept one?
    with_shipped_weights(run, [&] {
      v = evaluate(run.net, val, info, device, o.balance);
      switch (o.epoch_rule) {
        case EpochRule::kBestBalanced:
          kept = v.balanced_accuracy > run.best_bacc;
          break;
        case EpochRule::kLast:
          kept = true;
          break;
        case EpochRule::kAverageLast:  // nothing is chosen: the last epochs all count
          if (epoch > o.epochs - o.average_epochs) run.average.add(snapshot(*run.net));
          // The last epoch's network, which `last` would ship: scored beside the average.
          if (epoch == o.epochs) run.best = snapshot(*run.net);
          break;
      }
      if (kept) run.best = snapshot(*run.net);
    });
    r.val_loss = v.loss;
    r.val_accuracy = v.accuracy;
    r.val_balanced_accuracy = v.balanced_accuracy;
    history.push_back(r);
    std::fprintf(stderr,
                 "epoch %d: train loss %.4f acc %.3f%s | val loss %.4f acc %.3f bal %.3f | "
                 "%.0f img/s\n",
                 epoch, r.train_loss, r.train_accuracy,
                 run.mask_head ? (" mask " + std::to_string(r.mask_loss).substr(0, 5)).c_str() : "",
                 r.val_loss, r.val_accuracy, r.val_balanced_accuracy, r.images_per_second);
    if (kept) {
      run.best_bacc = v.balanced_accuracy;
      run.best_epoch = epoch;
    }
    save_checkpoint(run, history, epoch, key, out_dir);
    if (o.stop_after > 0 && epoch >= o.stop_after && epoch < o.epochs) return std::nullopt;
  }
  // The saved network is float32 in the standard layout whatever the training precision.
  if (trains_channels_last(o)) set_memory_format(*run.net, at::MemoryFormat::Contiguous);
  if (o.epoch_rule == EpochRule::kAverageLast) {
    record.averaged = average_last_epochs(run, info, val);
    run.best_epoch = o.epochs;
  } else {
    restore(*run.net, run.best);
  }
  run.net->eval();
  run.net->to(torch::kCPU);

  // Post-training choices on validation only; test only scored.
  const Finalized fin = calibrate_and_score(run.net, info, val, test, o.min_mel_recall,
                                            balanced_prior_adjustment(o.balance));
  record.prior = fin.prior;
  record.best_epoch = run.best_epoch;
  record.history = history;
  record.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  record.device = device.is_cuda() ? "cuda" : "cpu";
  record.torch_threads = torch::get_num_threads();
  record.dataset_fingerprint = ds.fingerprint();
  record.split_fingerprint = split.fingerprint();
  record.split_source = split.source;
  record.train_images = train.labels.size();
  record.val_images = val.labels.size();
  record.test_images = test.labels.size();
  info.extra["training"] = training_json(record);
  if (teacher) {
    info.extra["training"]["distill"]["teacher_arch"] = teacher->info().arch;
    info.extra["training"]["distill"]["teacher_version"] = teacher->info().version;
  }
  info.extra["data"] = data_json(record);
  info.extra["metrics"] = fin.metrics;
  save_model(out_dir, info, run.net);
  std::ofstream(fs::path(out_dir) / "history.json") << history_json(history).dump(2) << "\n";
  write_curves(history, out_dir);
  fs::remove_all(fs::path(out_dir) / kCheckpointDir);
  return Classifier(info, run.net);
}

}  // namespace skinscan
