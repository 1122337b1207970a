// skinscan: one binary, one subcommand per pipeline stage.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "data/allocator.h"

int main(int argc, char** argv) {
  skinscan::tune_allocator();
  CLI::App app{"SkinScan: skin-lesion screening aid (not a diagnosis)", "skinscan"};
  app.require_subcommand(1);
  skinscan::cli::add_eda_command(app);
  skinscan::cli::add_split_command(app);
  skinscan::cli::add_train_command(app);
  skinscan::cli::add_ensemble_command(app);
  skinscan::cli::add_evaluate_command(app);
  skinscan::cli::add_predict_command(app);
  skinscan::cli::add_fit_detector_command(app);
  skinscan::cli::add_fit_operating_point_command(app);
  skinscan::cli::add_bench_command(app);
  skinscan::cli::add_export_command(app);
  skinscan::cli::add_serve_command(app);
  skinscan::cli::add_notify_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skinscan: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
