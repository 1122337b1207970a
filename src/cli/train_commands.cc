// split, train and evaluate subcommands.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/decision_table.h"
#include "data/classes.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/enum_names.h"
#include "data/error.h"
#include "data/parallel.h"
#include "train/ensemble.h"
#include "train/evaluate.h"
#include "train/operating_point.h"
#include "train/split.h"
#include "train/trainer.h"

namespace skinscan::cli {

std::string default_model_dir() {
  if (const char* env = std::getenv("SKINSCAN_MODEL")) return env;
  return SKINSCAN_DEFAULT_MODEL;
}

namespace {

// A typed option's names, parsed once into the enum (case-insensitive); help and errors
// show just the names.
template <typename E>
CLI::Validator one_of(const std::map<std::string, E>& names) {
  std::string list;
  for (const auto& [name, value] : names) list += (list.empty() ? "" : ", ") + name;
  return CLI::Validator(
      [names, list](std::string& input) -> std::string {
        std::string key = input;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto it = names.find(key);
        if (it == names.end()) return "'" + input + "' is not one of " + list;
        input = std::to_string(static_cast<int>(it->second));
        return "";
      },
      "{" + list + "}");
}

}  // namespace

void add_split_command(CLI::App& app) {
  struct Opts {
    std::string data, out = "split.json", from, cv;
    SplitOptions split;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "split", "Lesion-grouped, class-stratified train/val/test split (or adopt one from CSV)");
  cmd->add_option("--data", o->data, "Dataset directory or hmnist CSV")->required();
  cmd->add_option("--out", o->out, "Split file to write")->capture_default_str();
  cmd->add_option("--from", o->from, "Adopt a CSV with columns image_id,split (train/test)");
  cmd->add_option("--test-fraction", o->split.test_fraction)->capture_default_str();
  cmd->add_option("--val-fraction", o->split.val_fraction, "Share of train lesions for validation")
      ->capture_default_str();
  cmd->add_option("--seed", o->split.seed)->capture_default_str();
  cmd->add_option("--cv-fold", o->cv,
                  "K/N: cross-validation fold K (1-based) of N over the train rows; the test "
                  "rows are excluded (never trained on or scored)");
  cmd->callback([o] {
    const Dataset ds = open_dataset(o->data);
    Split s = o->from.empty() ? make_split(ds, o->split) : split_from_csv(ds, o->from, o->split);
    if (!o->cv.empty()) {
      int k = 0, n = 0;
      if (std::sscanf(o->cv.c_str(), "%d/%d", &k, &n) != 2 || k < 1 || k > n) {
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                              "--cv-fold must look like 2/5 (fold 2 of 5)");
      }
      s = cross_validation_fold(ds, s, k - 1, n, o->split.seed);
    }
    save_split(s, o->out);
    std::printf("split %s: train %zu, val %zu, test %zu images -> %s\n", s.fingerprint().c_str(),
                s.indices(Part::kTrain).size(), s.indices(Part::kVal).size(),
                s.indices(Part::kTest).size(), o->out.c_str());
  });
}

void add_train_command(CLI::App& app) {
  struct Opts {
    std::string data, split, out, size;
    bool strong = false;
    bool colour = false;
    TrainOptions t;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("train", "Train a classifier and write a model directory");
  cmd->add_option("--data", o->data, "Dataset directory or hmnist CSV")->required();
  cmd->add_option("--split", o->split, "Split file (default: a fresh seeded split)");
  cmd->add_option("--out", o->out, "Model directory to write")->required();
  cmd->add_option("--arch", o->t.arch, "seed-cnn, resnet-s, resnet-m, resnet-s-hr, backbone")
      ->capture_default_str();
  cmd->add_option("--backbone", o->t.backbone,
                  "TorchScript feature extractor to fine-tune (implies --arch backbone)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--input-size", o->size, "Input WIDTHxHEIGHT (default: the arch's)");
  cmd->add_option("--epochs", o->t.epochs)->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--batch-size", o->t.batch_size)
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--lr", o->t.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", o->t.weight_decay)->capture_default_str();
  cmd->add_option("--optimizer", o->t.optimizer, "adamw or sgd")
      ->transform(one_of(enum_name_map(kOptimizers, optimizer_name)))
      ->default_str("adamw");
  cmd->add_option("--schedule", o->t.schedule, "onecycle or cosine")
      ->transform(one_of(enum_name_map(kSchedules, schedule_name)))
      ->default_str("onecycle");
  cmd->add_option("--precision", o->t.precision,
                  "Training arithmetic: fp32, or bf16 (CPU autocast, channels-last)")
      ->transform(one_of(enum_name_map(kPrecisions, precision_name)))
      ->default_str("fp32");
  cmd->add_flag("--channels-last", o->t.channels_last,
                "Train float32 in the channels-last layout too (bf16 always does)");
  cmd->add_option("--epoch-rule", o->t.epoch_rule,
                  "Weights kept: best-balanced (highest validation balanced accuracy), last, "
                  "or average-last (mean of the last --average-epochs epochs' weights)")
      ->transform(one_of(enum_name_map(kEpochRules, epoch_rule_name)))
      ->default_str("best-balanced");
  cmd->add_option("--average-epochs", o->t.average_epochs,
                  "average-last: how many final epochs' weights are averaged")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--label-smoothing", o->t.label_smoothing)->capture_default_str();
  cmd->add_option("--balance", o->t.balance,
                  "none, oversample, sqrt-oversample, weighted, logit-adjust")
      ->transform(one_of(enum_name_map(kBalances, balance_name)))
      ->default_str("logit-adjust");
  cmd->add_option("--colour-constancy", o->t.colour,
                  "Colour constancy in the preprocessing: none, shades-of-gray or "
                  "shades-of-gray-exposure (also to a fixed brightness)")
      ->transform(one_of(enum_name_map(kColourConstancies, colour_constancy_name)))
      ->default_str("none");
  cmd->add_option("--field-of-view", o->t.field_of_view,
                  "A dermoscope's dark field-of-view border in the preprocessing: as-is, or "
                  "fill (painted with the skin colour next to it)")
      ->transform(one_of(enum_name_map(kFieldsOfView, field_of_view_name)))
      ->default_str("as-is");
  cmd->add_flag(
      "--strong-augment", o->strong,
      "Acquisition-shift augmentation (colour cast, gamma, blur, vignettes, wider scale)");
  cmd->add_flag("--colour-augment", o->colour,
                "The colour half of --strong-augment alone (brightness, contrast, saturation, "
                "colour cast, gamma)")
      ->excludes("--strong-augment");
  cmd->add_option("--ema", o->t.ema_decay, "EMA decay of the weights (0 = off, e.g. 0.999)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99999));
  cmd->add_option("--mask-weight", o->t.mask_weight,
                  "Weight of the auxiliary lesion-mask loss (0 = off; needs DATA/masks/)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--mix", o->t.mix, "Batch mixing: none, mixup or cutmix")
      ->transform(one_of(enum_name_map(kMixes, mix_name)))
      ->default_str("none");
  cmd->add_option("--mix-alpha", o->t.mix_alpha, "Mixing share ~ Beta(alpha, alpha)")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 100.0));
  cmd->add_option("--mix-probability", o->t.mix_probability, "Share of batches mixed")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  CLI::Option* teacher =
      cmd->add_option("--teacher", o->t.teacher,
                      "Distil from this model directory (a net or an ensemble trained on the "
                      "same split, same input)")
          ->check(CLI::ExistingDirectory);
  cmd->add_option("--distill-weight", o->t.distill_weight,
                  "Share of the distillation loss in the classification loss")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->needs(teacher);
  cmd->add_option("--distill-temperature", o->t.distill_temperature,
                  "Softening temperature of the distillation targets")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 100.0))
      ->needs(teacher);
  cmd->add_flag("--resume", o->t.resume, "Continue from OUT/checkpoint (same options)");
  cmd->add_option("--stop-after", o->t.stop_after,
                  "Stop after this epoch, checkpoint kept, no model written (then --resume)")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--logit-tau", o->t.logit_tau)->capture_default_str();
  cmd->add_option("--min-mel-recall", o->t.min_mel_recall,
                  "Melanoma recall floor when choosing the prior adjustment on validation")
      ->capture_default_str();
  cmd->add_flag("!--no-augment", o->t.augment, "Disable augmentation");
  cmd->add_option("--threads", o->t.threads, "Torch threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--replicas", o->t.replicas,
                  "Data-parallel copies of the net, one thread each (1 = off); BatchNorm "
                  "statistics are exchanged so they span the whole batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--ghost-bn", o->t.ghost_batch_norm,
                "With --replicas: each copy normalises over its own batch-size / N images "
                "(the earlier data-parallel recipe)");
  cmd->add_option("--seed", o->t.seed)->capture_default_str();
  cmd->add_option("--limit", o->t.limit, "Use at most N training images (quick runs)");
  cmd->add_option("--version", o->t.version, "Model version string");
  cmd->callback([o] {
    if (!o->t.backbone.empty()) o->t.arch = "backbone";
    if (o->strong) o->t.augment_options = AugmentOptions::strong();
    if (o->colour) o->t.augment_options = AugmentOptions::colour();
    if (!o->size.empty()) {
      if (std::sscanf(o->size.c_str(), "%dx%d", &o->t.input_width, &o->t.input_height) != 2 ||
          o->t.input_width < 16 || o->t.input_height < 16) {
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                              "--input-size must look like 128x96");
      }
    }
    const Dataset ds = open_dataset(o->data);
    const Split split = o->split.empty() ? make_split(ds) : align_split(load_split(o->split), ds);
    const std::optional<Classifier> model = train_model(ds, split, o->t, o->out);
    if (!model) {
      std::printf("stopped after epoch %d; continue with the same options and --resume\n",
                  o->t.stop_after);
      return;
    }
    const auto& m = model->info().extra["metrics"];
    std::cout << "model written to " << o->out << "\n";
    if (m.contains("test")) {
      std::printf("test: accuracy %.4f, balanced accuracy %.4f, melanoma recall %.4f\n",
                  m["test"]["accuracy"].get<double>(), m["test"]["balanced_accuracy"].get<double>(),
                  m["test"]["per_class"]["mel"]["recall"].get<double>());
    }
  });
}

void add_ensemble_command(CLI::App& app) {
  struct Opts {
    std::string data, split, out;
    EnsembleOptions e;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "ensemble", "Combine trained models (same split) into one averaging model directory");
  cmd->add_option("--data", o->data, "Dataset directory or hmnist CSV")->required();
  cmd->add_option("--split", o->split, "The split every member was trained on")->required();
  cmd->add_option("--members", o->e.members, "Member model directories (two or more)")
      ->required()
      ->expected(2, 16);
  cmd->add_option("--out", o->out, "Model directory to write")->required();
  cmd->add_option("--min-mel-recall", o->e.min_mel_recall,
                  "Melanoma recall floor when choosing the prior adjustment on validation")
      ->capture_default_str();
  cmd->add_option("--version", o->e.version, "Model version string");
  cmd->callback([o] {
    const Dataset ds = open_dataset(o->data);
    const Split split = align_split(load_split(o->split), ds);
    const Classifier model = build_ensemble(ds, split, o->e, o->out);
    const auto& m = model.info().extra["metrics"];
    std::cout << "model written to " << o->out << "\n";
    for (const char* part : {"validation", "test"}) {
      if (!m.contains(part)) continue;
      std::printf("%s: accuracy %.4f, balanced accuracy %.4f, melanoma recall %.4f\n", part,
                  m[part]["accuracy"].get<double>(), m[part]["balanced_accuracy"].get<double>(),
                  m[part]["per_class"]["mel"]["recall"].get<double>());
    }
  });
}

namespace {

std::vector<AcquisitionShift> parse_shifts(const std::string& list) {
  if (list.empty()) return {};
  if (list == "all") return acquisition_shifts();
  std::vector<AcquisitionShift> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    out.push_back(find_acquisition_shift(list.substr(start, comma - start)));
    start = comma + 1;
  }
  return out;
}

// JSON on stdout; on stderr a Markdown table and the mean over the shifts that lie outside
// --strong-augment (the fair comparison of recipes, acquisition_shift.h).
void print_shifted(const std::vector<ShiftedEvaluation>& results,
                   const std::vector<DecisionTable>& tables, const Classifier& model,
                   const std::string& dir) {
  nlohmann::ordered_json j;
  j["model"] = {{"name", model.info().name}, {"version", model.info().version}, {"dir", dir}};
  j["shifts"] = nlohmann::ordered_json::array();
  std::fprintf(stderr,
               "| shift | accuracy | balanced accuracy | mel recall | macro AUC | ECE |\n"
               "|---|---|---|---|---|---|\n");
  const auto mel = static_cast<std::size_t>(*class_from_code("mel"));
  std::array<double, 5> sum{};
  int counted = 0;
  for (const ShiftedEvaluation& r : results) {
    const Metrics& m = r.evaluation.metrics;
    auto e = evaluation_json(r.evaluation);
    e["shift"] = r.shift.name;
    e["description"] = r.shift.description;
    e["outside_strong_augment"] = r.shift.outside_strong_augment;
    j["shifts"].push_back(e);
    const std::array<double, 5> v{m.accuracy, m.balanced_accuracy, m.per_class[mel].recall,
                                  m.auc_macro, m.ece};
    std::fprintf(stderr, "| %s%s | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r.shift.name.c_str(),
                 r.shift.outside_strong_augment ? "" : " (in --strong-augment)", v[0], v[1], v[2],
                 v[3], v[4]);
    if (r.shift.name == "clean" || !r.shift.outside_strong_augment) continue;
    for (std::size_t k = 0; k < v.size(); ++k) sum[k] += v[k];
    ++counted;
  }
  if (counted > 0) {
    nlohmann::ordered_json mean;
    const char* keys[] = {"accuracy", "balanced_accuracy", "mel_recall", "auc_macro", "ece"};
    for (std::size_t k = 0; k < sum.size(); ++k) mean[keys[k]] = sum[k] / counted;
    mean["shifts"] = counted;
    j["mean_outside_strong_augment"] = mean;
    std::fprintf(stderr,
                 "| mean of the %d shifts outside --strong-augment | %.3f | %.3f | %.3f | "
                 "%.3f | %.3f |\n",
                 counted, sum[0] / counted, sum[1] / counted, sum[2] / counted, sum[3] / counted,
                 sum[4] / counted);
  }
  if (!tables.empty()) {
    std::fprintf(stderr,
                 "\n| shift | malignant worded 'No disease' | malignant referred | real "
                 "lesions rejected as not a lesion |\n|---|---|---|---|\n");
  }
  for (std::size_t s = 0; s < tables.size(); ++s) {
    const DecisionTable& t = tables[s];
    int rejected = 0, lesions = 0;
    for (const auto& row : t.counts) {
      rejected += row[static_cast<std::size_t>(Decision::kNotALesion)];
      for (const int c : row) lesions += c;
    }
    j["shifts"][s]["decisions"] = decision_table_json(t);
    std::fprintf(stderr, "| %s | %d of %d | %d of %d | %d of %d |\n", results[s].shift.name.c_str(),
                 t.malignant_no_disease, t.malignant, t.malignant_referred, t.malignant, rejected,
                 lesions);
  }
  std::cout << j.dump(2) << std::endl;
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  struct Opts {
    std::string model = default_model_dir(), data, split, images, labels, out;
    std::string part = "test";
    std::string shift;
    bool decisions = false;
    int tta = 1;
    int bootstrap = 1000;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Score a model on labelled images; prints JSON");
  cmd->add_option("--model", o->model, "Model directory")->capture_default_str();
  cmd->add_option("--data", o->data, "Dataset (with --split)");
  cmd->add_option("--split", o->split, "Split file; its --part is scored");
  cmd->add_option("--part", o->part, "train, val or test")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "val", "test"}));
  cmd->add_option("--images", o->images, "Folder of <image_id>.jpg (any size)");
  cmd->add_option("--labels", o->labels, "CSV with image_id,dx for --images");
  cmd->add_option("--out", o->out, "Also write confusion_matrix.png and per_class.md here");
  cmd->add_option("--tta", o->tta, "Flip views averaged: 1, 2 or 4")->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples for CIs")
      ->capture_default_str();
  cmd->add_option("--shift", o->shift,
                  "Score under acquisition shifts instead: comma-separated names or 'all' "
                  "(one view, metrics per shift, no decision table)");
  cmd->add_flag("--decisions", o->decisions,
                "With --shift: also screen each shifted image through the serving engine and "
                "report the safety figures per shift (malignant worded 'No disease', malignant "
                "referred, real lesions rejected as not a lesion)");
  cmd->callback([o] {
    // Parsed before anything is loaded, so a misspelt name fails at once.
    const std::vector<AcquisitionShift> shifts = parse_shifts(o->shift);
    const Classifier model = Classifier::load(o->model);
    std::vector<cv::Mat> images;
    std::vector<int> labels;
    std::vector<std::string> paths;
    if (!o->images.empty()) {
      if (o->labels.empty())
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "--images needs --labels");
      const CsvTable t = read_csv(o->labels);
      const std::size_t c_id = t.column("image_id"), c_dx = t.column("dx");
      for (const auto& r : t.rows) {
        const auto dx = class_from_code(r.fields[c_dx]);
        if (!dx) throw DataError(where(o->labels, r.line, "unknown dx '" + r.fields[c_dx] + "'"));
        std::filesystem::path p = std::filesystem::path(o->images) / (r.fields[c_id] + ".jpg");
        if (!std::filesystem::exists(p))
          throw DataError(where(o->labels, r.line, "no image " + p.string()));
        paths.push_back(p.string());
        labels.push_back(*dx);
      }
    } else {
      if (o->data.empty() || o->split.empty()) {
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                              "give --data with --split, or --images with --labels");
      }
      const Dataset ds = open_dataset(o->data);
      const Split split = align_split(load_split(o->split), ds);
      Part part = o->part == "train" ? Part::kTrain : o->part == "val" ? Part::kVal : Part::kTest;
      for (std::size_t i : split.indices(part)) {
        paths.push_back(ds.samples[i].image_path);
        labels.push_back(ds.samples[i].dx);
      }
    }
    images.resize(paths.size());
    parallel_for(paths.size(), [&](std::size_t i) {
      images[i] = read_image_rgb(paths[i], {}, min_decode_side(model.info().input));
    });
    if (!shifts.empty()) {
      if (o->tta != 1) {
        throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                              "--shift scores one view; leave out --tta");
      }
      std::vector<DecisionTable> tables;
      if (o->decisions) {
        std::vector<cv::Mat> shifted(images.size());
        for (const AcquisitionShift& shift : shifts) {
          parallel_for(images.size(), [&](std::size_t i) {
            shifted[i] = apply_acquisition_shift(images[i], shift, i);
          });
          tables.push_back(screen_decision_table(o->model, shifted, labels));
        }
      }
      print_shifted(evaluate_shifted(model, images, labels, shifts, o->bootstrap), tables, model,
                    o->model);
      return;
    }
    const Evaluation e = evaluate(model, images, labels, o->tta, o->bootstrap);
    auto j = evaluation_json(e);
    j["model"] = {
        {"name", model.info().name}, {"version", model.info().version}, {"dir", o->model}};
    j["tta"] = o->tta;
    // The decision of each image through the serving engine (tta 1, detector included).
    const DecisionTable table = screen_decision_table(o->model, images, labels);
    j["decisions"] = decision_table_json(table);
    std::fprintf(stderr, "decisions (rows: true class):\n%s", decision_table_text(table).c_str());
    if (!o->out.empty()) {
      write_evaluation_files(e, o->out);
      std::ofstream(std::filesystem::path(o->out) / "decisions.txt") << decision_table_text(table);
    }
    std::cout << j.dump(2) << std::endl;
  });
}

}  // namespace skinscan::cli
