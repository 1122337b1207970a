// `skinscan notify list|resend`: operator commands over the WhatsApp outbox (issue 6).
#include "cli/commands.h"

namespace skinscan::cli {

void add_notify_command(CLI::App& /*app*/) {}

}  // namespace skinscan::cli
