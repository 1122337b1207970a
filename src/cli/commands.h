// Registration of each subcommand on the CLI11 app. Each add_* function owns its options
// and runs the stage when parsed; errors propagate as exceptions to main, which prints
// "skinscan: error: <message>" and exits 1.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "train/split.h"

namespace skinscan::cli {

void add_eda_command(CLI::App& app);
void add_split_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_ensemble_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_fit_detector_command(CLI::App& app);
void add_fit_operating_point_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_notify_command(CLI::App& app);
void add_migrate_command(CLI::App& app);
void add_import_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);

// Fits the not-a-lesion detector of the model in `model_dir` (class means on the split's
// train part, threshold at `percentile` of its validation part), saves it there and adds
// its "lesion_detector" entry to model.json; returns that entry. Also fits the photo check
// (screen/photo_check.h, threshold at `photo_percentile` of validation) into "photo_check".
nlohmann::ordered_json fit_detector(const std::string& model_dir, const Dataset& ds,
                                    const Split& split, double percentile,
                                    double photo_percentile = 0.995);

// --model default: $SKINSCAN_MODEL, else the shipped models/default of this checkout.
std::string default_model_dir();

}  // namespace skinscan::cli
