// predict, fit-detector, bench predict and export subcommands.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include "cli/commands.h"
#include "data/dataset.h"
#include "data/error.h"
#include "data/parallel.h"
#include "model/classifier_torch.h"
#include "screen/engine.h"
#include "train/split.h"

namespace fs = std::filesystem;

namespace skinscan::cli {

namespace {

void write_png_rgb(const cv::Mat& rgb, const fs::path& path) {
  const std::vector<std::uint8_t> png = encode_png(rgb);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  if (!out.flush())
    throw skinscan::Error(skinscan::ErrorCode::kIo, "cannot write " + path.string());
}

}  // namespace

void add_predict_command(CLI::App& app) {
  struct Opts {
    std::string model = default_model_dir(), heatmap_dir;
    std::vector<std::string> images;
    std::optional<double> threshold, refer;
    int tta = 1;
    unsigned threads = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "Screen images; one JSON object per line (screening aid, not a diagnosis)");
  cmd->add_option("images", o->images, "Image files (JPEG, PNG or WebP)")->required();
  cmd->add_option("--model", o->model, "Model directory")->capture_default_str();
  cmd->add_option("--threshold", o->threshold, "Decision threshold (default: the model's, 0.80)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--refer-risk", o->refer, "Malignancy risk that raises 'refer' (default 0.30)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--tta", o->tta, "Flip views averaged: 1, 2 or 4")->capture_default_str();
  cmd->add_option("--heatmap", o->heatmap_dir, "Write a Grad-CAM overlay PNG per image here");
  cmd->add_option("--threads", o->threads, "Images screened in parallel (0 = all cores)");
  cmd->callback([o] {
    EngineOptions eo;
    eo.threshold = o->threshold;
    eo.refer_risk = o->refer;
    eo.tta = o->tta;
    const auto engine = Engine::load(o->model, eo);
    if (!o->heatmap_dir.empty()) fs::create_directories(o->heatmap_dir);
    torch::set_num_threads(1);  // parallel over images instead
    std::vector<std::string> lines(o->images.size());
    std::vector<bool> failed(o->images.size(), false);
    parallel_for(
        o->images.size(),
        [&](std::size_t i) {
          const std::string& path = o->images[i];
          nlohmann::ordered_json j;
          j["image"] = path;
          try {
            const auto bytes = read_file_bytes(path, eo.limits.max_bytes);
            const Screening s = engine->screen(bytes);
            const auto fields = engine->to_json(s);
            for (const auto& [k, v] : fields.items()) j[k] = v;
            if (!o->heatmap_dir.empty() && s.finding.decision != Decision::kNotALesion) {
              const fs::path out =
                  fs::path(o->heatmap_dir) / (fs::path(path).stem().string() + "_heatmap.png");
              write_png_rgb(engine->heatmap(engine->decode(bytes), s.finding.label), out);
              j["heatmap"] = out.string();
            }
          } catch (const ImageError& e) {
            j["error"] = {{"code", e.code()}, {"message", e.what()}};
            failed[i] = true;
          } catch (const DataError& e) {
            j["error"] = {{"code", "unreadable"}, {"message", e.what()}};
            failed[i] = true;
          }
          lines[i] = j.dump();
        },
        o->threads);
    for (const auto& l : lines) std::cout << l << "\n";
    std::cout.flush();
    if (std::find(failed.begin(), failed.end(), true) != failed.end()) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidData,
                            "some images could not be screened (see their error lines)");
    }
  });
}

nlohmann::ordered_json fit_detector(const std::string& model_dir, const Dataset& ds,
                                    const Split& split, double percentile,
                                    double photo_percentile) {
  const Classifier model = Classifier::load(model_dir);
  auto features_of = [&](Part part, std::vector<int>* labels) {
    const auto idx = split.indices(part);
    const std::vector<cv::Mat> imgs = load_model_inputs(ds, idx, model.info().input);
    std::vector<torch::Tensor> parts;
    for (std::size_t b = 0; b < imgs.size(); b += 256) {
      std::vector<cv::Mat> batch(imgs.begin() + static_cast<long>(b),
                                 imgs.begin() + static_cast<long>(std::min(imgs.size(), b + 256)));
      parts.push_back(model.features_and_logits(model.batch(batch)).first);
    }
    if (labels)
      for (std::size_t i : idx) labels->push_back(ds.samples[i].dx);
    return torch::cat(parts);
  };
  std::vector<int> train_labels;
  const torch::Tensor tr = features_of(Part::kTrain, &train_labels);
  const torch::Tensor va = features_of(Part::kVal, nullptr);
  const LesionDetector det = LesionDetector::fit(tr, train_labels, va, percentile);
  auto rejection = [&](const torch::Tensor& f) {
    return det.scores(f).gt(det.threshold()).to(torch::kFloat64).mean().item<double>();
  };
  nlohmann::ordered_json entry = {
      {"method",
       "min class-conditional Mahalanobis distance of pooled features (shared covariance)"},
      {"percentile", percentile},
      {"threshold", det.threshold()},
      {"val_false_rejection", rejection(va)}};
  if (!split.indices(Part::kTest).empty()) {
    entry["test_false_rejection"] = rejection(features_of(Part::kTest, nullptr));
  }
  // The photo check (screen/photo_check.h, issue 11) on the pictures as the engine decodes
  // them: train fits, validation sets the threshold, test is only scored.
  auto stats_of = [&](Part part) {
    const auto idx = split.indices(part);
    std::vector<PhotoStats> out(idx.size());
    parallel_for(idx.size(), [&](std::size_t k) {
      out[k] = photo_stats(
          read_image_rgb(ds.samples[idx[k]].image_path, {}, min_decode_side(model.info().input)),
          model.info().input.field_of_view);
    });
    return out;
  };
  const std::vector<PhotoStats> val_stats = stats_of(Part::kVal);
  const PhotoCheck photo = PhotoCheck::fit(stats_of(Part::kTrain), val_stats, photo_percentile,
                                           model.info().input.field_of_view);
  auto photo_rejection = [&](const std::vector<PhotoStats>& st) {
    double r = 0;
    for (const auto& x : st) r += photo.score(x) > photo.threshold();
    return st.empty() ? 0.0 : r / static_cast<double>(st.size());
  };
  nlohmann::ordered_json photo_entry = photo.to_json();
  photo_entry["percentile"] = photo_percentile;
  photo_entry["val_false_rejection"] = photo_rejection(val_stats);
  if (!split.indices(Part::kTest).empty()) {
    const std::vector<PhotoStats> test_stats = stats_of(Part::kTest);
    photo_entry["test_false_rejection"] = photo_rejection(test_stats);
    // Either check rejecting: what a real test lesion risks through the engine.
    const torch::Tensor ts = det.scores(features_of(Part::kTest, nullptr));
    double either = 0;
    for (std::size_t i = 0; i < test_stats.size(); ++i) {
      either += ts[static_cast<long>(i)].item<double>() > det.threshold() ||
                photo.score(test_stats[i]) > photo.threshold();
    }
    entry["test_false_rejection_with_photo_check"] =
        either / static_cast<double>(test_stats.size());
  }
  det.save(model_dir);
  const fs::path json_path = fs::path(model_dir) / kModelJson;
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(std::ifstream(json_path));
  j["lesion_detector"] = entry;
  j["photo_check"] = photo_entry;
  save_model_json(model_dir, j);
  return entry;
}

void add_fit_detector_command(CLI::App& app) {
  struct Opts {
    std::string model = default_model_dir(), data, split;
    double percentile = 0.99;
    double photo_percentile = 0.995;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "fit-detector", "Fit the not-a-lesion detector of a model on its training split");
  cmd->add_option("--model", o->model, "Model directory (updated in place)")->capture_default_str();
  cmd->add_option("--data", o->data, "Dataset the model was trained on")->required();
  cmd->add_option("--split", o->split, "The model's split file")->required();
  cmd->add_option("--percentile", o->percentile,
                  "Share of validation lesions accepted (threshold = this quantile)")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 1.0));
  cmd->add_option("--photo-percentile", o->photo_percentile,
                  "Share of validation lesions the colour/texture photo check accepts")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 1.0));
  cmd->callback([o] {
    const Dataset ds = open_dataset(o->data);
    const Split split = align_split(load_split(o->split), ds);
    std::cout << fit_detector(o->model, ds, split, o->percentile, o->photo_percentile).dump(2)
              << std::endl;
    const auto photo = Classifier::load(o->model).info().extra["photo_check"];
    std::printf("photo check: threshold %.2f, real lesions rejected: validation %.4f",
                photo["threshold"].get<double>(), photo["val_false_rejection"].get<double>());
    // A split without test rows (a cross-validation fold) has no test figure to print.
    if (photo.contains("test_false_rejection"))
      std::printf(", test %.4f", photo["test_false_rejection"].get<double>());
    std::printf("\n");
  });
}

void add_bench_command(CLI::App& app) {
  struct Opts {
    std::string model = default_model_dir(), images;
    int threads = 1, repeat = 5, tta = 1;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  CLI::App* cmd = bench->add_subcommand(
      "predict", "Per-image latency, bytes in memory -> calibrated probabilities and decision");
  cmd->add_option("--images", o->images, "Folder of images")->required();
  cmd->add_option("--model", o->model)->capture_default_str();
  cmd->add_option("--threads", o->threads, "Torch threads")->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "Passes over the images")->capture_default_str();
  cmd->add_option("--tta", o->tta, "Flip views averaged: 1, 2 or 4")
      ->check(CLI::IsMember({1, 2, 4}))
      ->capture_default_str();
  cmd->callback([o] {
    torch::set_num_threads(o->threads);
    EngineOptions eo;
    eo.tta = o->tta;
    const auto engine = Engine::load(o->model, eo);
    std::vector<std::vector<std::uint8_t>> files;
    for (const auto& e : fs::directory_iterator(o->images)) {
      if (e.is_regular_file()) files.push_back(read_file_bytes(e.path().string(), 20u << 20));
    }
    if (files.empty())
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "no images in " + o->images);
    for (const auto& f : files) engine->screen(f);  // warm-up
    std::vector<double> ms;
    for (int r = 0; r < o->repeat; ++r) {
      for (const auto& f : files) {
        const auto t0 = std::chrono::steady_clock::now();
        const Screening s = engine->screen(f);
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        (void)s;
      }
    }
    std::sort(ms.begin(), ms.end());
    auto q = [&](double p) {
      return ms[static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1))];
    };
    nlohmann::ordered_json j = {{"images", files.size()}, {"runs", ms.size()},
                                {"threads", o->threads},  {"tta", o->tta},
                                {"median_ms", q(0.5)},    {"p95_ms", q(0.95)},
                                {"min_ms", ms.front()},   {"model", engine->info().version}};
    std::cout << j.dump(2) << std::endl;
  });
}

void add_export_command(CLI::App& app) {
  struct Opts {
    std::string model = default_model_dir(), format = "pytorch", out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("export", "Export model weights for other tools");
  cmd->add_option("--model", o->model)->capture_default_str();
  cmd->add_option("--format", o->format, "pytorch: a state dict Python's torch.load reads")
      ->check(CLI::IsMember({"pytorch"}));
  cmd->add_option("--out", o->out, "Output file")->required();
  cmd->callback([o] {
    const Classifier model = Classifier::load(o->model);
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& p : model.net()->named_parameters()) dict.insert(p.key(), p.value().detach());
    for (const auto& b : model.net()->named_buffers()) dict.insert(b.key(), b.value().detach());
    const std::vector<char> bytes = torch::pickle_save(dict);
    std::ofstream f(o->out, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw skinscan::Error(skinscan::ErrorCode::kIo, "cannot write " + o->out);
    std::printf("%zu tensors of %s written to %s\n", dict.size(), model.info().arch.c_str(),
                o->out.c_str());
  });
}

}  // namespace skinscan::cli
