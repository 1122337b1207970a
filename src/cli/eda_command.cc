#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "data/dataset.h"
#include "eda/report.h"

namespace skinscan::cli {

void add_eda_command(CLI::App& app) {
  struct Opts {
    std::string data;
    std::string out = "eda";
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd =
      app.add_subcommand("eda", "Exploratory data analysis: charts, eda.json, index.html");
  cmd->add_option("--data", opts->data,
                  "Dataset: directory with HAM10000_metadata.csv (images/ or the two Kaggle "
                  "part folders), or an hmnist_28_28_RGB.csv")
      ->required();
  cmd->add_option("--out", opts->out, "Output directory")->capture_default_str();
  cmd->callback([opts] {
    const auto t0 = std::chrono::steady_clock::now();
    const Dataset ds = open_dataset(opts->data);
    const eda::Stats s = eda::write_report(ds, opts->out);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("EDA of %d images (%d lesions) written to %s/index.html in %.1f s\n", s.images,
                s.lesions, opts->out.c_str(), secs);
  });
}

}  // namespace skinscan::cli
