// `skinscan serve`: the clinic web app and REST API (issue 5).
#include "cli/commands.h"

namespace skinscan::cli {

void add_serve_command(CLI::App& /*app*/) {}

}  // namespace skinscan::cli
