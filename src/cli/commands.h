// Registration of each subcommand on the CLI11 app. Each add_* function owns its options
// and runs the stage when parsed; errors propagate as exceptions to main, which prints
// "skinscan: error: <message>" and exits 1.
#pragma once

#include <CLI/CLI.hpp>

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

// --model default: $SKINSCAN_MODEL, else the shipped models/default of this checkout.
std::string default_model_dir();

}  // namespace skinscan::cli
