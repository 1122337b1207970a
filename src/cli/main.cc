// skinscan: one binary, one subcommand per pipeline stage.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "data/allocator.h"
#include "data/error.h"

namespace {

// THE mapping from an error code to the process exit status (BSD sysexits.h values, so
// scripts can tell a usage mistake from bad data or an outage). docs/cli.md lists them.
int exit_code_for(skinscan::ErrorCode code) {
  using skinscan::ErrorCode;
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 64;  // EX_USAGE
    case ErrorCode::kInvalidData:
    case ErrorCode::kEmpty:
    case ErrorCode::kTooLarge:
    case ErrorCode::kTooSmall:
    case ErrorCode::kUnsupported:
    case ErrorCode::kTruncated:
    case ErrorCode::kCorrupt:
      return 65;  // EX_DATAERR
    case ErrorCode::kNotFound:
      return 66;  // EX_NOINPUT
    case ErrorCode::kUnavailable:
      return 69;  // EX_UNAVAILABLE
    case ErrorCode::kInternal:
      return 70;  // EX_SOFTWARE
    case ErrorCode::kIo:
    case ErrorCode::kStore:
      return 74;  // EX_IOERR
    case ErrorCode::kModel:
      return 78;  // EX_CONFIG
  }
  return 70;
}

}  // namespace

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
  skinscan::cli::add_import_command(app);
  skinscan::cli::add_calibrate_command(app);
  skinscan::cli::add_bench_command(app);
  skinscan::cli::add_export_command(app);
  skinscan::cli::add_serve_command(app);
  skinscan::cli::add_notify_command(app);
  skinscan::cli::add_migrate_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const skinscan::Error& e) {
    std::fprintf(stderr, "skinscan: error (%s): %s\n", e.code_name(), e.what());
    return exit_code_for(e.code());
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "skinscan: error (invalid_argument): %s\n", e.what());
    return exit_code_for(skinscan::ErrorCode::kInvalidArgument);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skinscan: error (internal): %s\n", e.what());
    return exit_code_for(skinscan::ErrorCode::kInternal);
  }
  return 0;
}
