// `skinscan notify list|resend|send`: operator commands over the WhatsApp outbox (issue 6).
// The database is --db, else $SKINSCAN_DB (or the config file's), else skinscan.db; Twilio
// settings come from the environment or the --config file (docs/whatsapp.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/error.h"
#include "data/settings.h"
#include "notify/sender.h"
#include "notify/twilio_config.h"
#include "store/store.h"

namespace skinscan::cli {
namespace {

struct Common {
  std::string db, config;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--db", c.db, "SQLite file or postgresql:// URL [SKINSCAN_DB, skinscan.db]");
  cmd->add_option("--config", c.config, "KEY=VALUE config file [SKINSCAN_CONFIG]");
}

Settings settings_of(const Common& c) {
  return c.config.empty() ? Settings::from_environment() : Settings::load(c.config);
}

// Opens an existing database (operators must not create an empty one by a typo).
std::unique_ptr<store::Store> open_store(const Common& c, const Settings& s) {
  const std::string db = s.pick(c.db.empty() ? std::nullopt : std::optional(c.db), "SKINSCAN_DB")
                             .value_or("skinscan.db");
  if (!store::is_postgresql_url(db) &&
      !std::filesystem::exists(db.starts_with("sqlite:") ? db.substr(7) : db)) {
    throw skinscan::Error(skinscan::ErrorCode::kNotFound, db + ": database not found");
  }
  return store::open_store(db);
}

std::string shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

void list(const Common& c, const std::string& status, bool json) {
  std::optional<notify::Status> filter;
  if (!status.empty()) {
    filter = notify::parse_status(status);
    if (!filter) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "--status " + status +
                                ": expected not_configured, pending, sending, queued, sent, "
                                "delivered, read, failed, undelivered or expired");
    }
  }
  const Settings s = settings_of(c);
  auto store = open_store(c, s);
  const auto rows = store->list_notifications(filter);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      out.push_back({{"id", r.id},
                     {"screening_id", r.screening_id},
                     {"recipient", notify::recipient_code(r.recipient)},
                     {"to", r.to},
                     {"status", notify::status_code(r.status)},
                     {"attempts", r.attempts},
                     {"twilio_sid", r.twilio_sid},
                     {"error_code", r.error_code},
                     {"error_message", r.error_message},
                     {"next_attempt_at", r.next_attempt_at},
                     {"created_at", r.created_at},
                     {"updated_at", r.updated_at}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("%-6s %-9s %-9s %-16s %-14s %-4s %-20s %s\n", "ID", "SCREENING", "RECIPIENT", "TO",
              "STATUS", "TRY", "UPDATED", "ERROR");
  for (const auto& r : rows) {
    const std::string err =
        r.error_code.empty() ? r.error_message : r.error_code + ": " + r.error_message;
    std::printf("%-6lld %-9lld %-9s %-16s %-14s %-4d %-20s %s\n", static_cast<long long>(r.id),
                static_cast<long long>(r.screening_id), notify::recipient_code(r.recipient),
                r.to.c_str(), notify::status_code(r.status), r.attempts, r.updated_at.c_str(),
                shorten(err, 80).c_str());
  }
  std::fprintf(stderr, "%zu notification(s)\n", rows.size());
}

void resend(const Common& c, long long screening) {
  const Settings s = settings_of(c);
  auto store = open_store(c, s);
  const int n = store->requeue_screening(screening);
  if (n == 0)
    throw skinscan::Error(skinscan::ErrorCode::kNotFound,
                          "screening " + std::to_string(screening) + " not found");
  std::printf(
      "%d message(s) of screening %lld queued again; the running server (or `skinscan notify "
      "send`) delivers them\n",
      n, screening);
}

void send(const Common& c) {
  const Settings s = settings_of(c);
  const notify::TwilioConfig twilio = notify::TwilioConfig::from_settings(s);
  if (!twilio.configured()) {
    throw skinscan::Error(skinscan::ErrorCode::kInternal,
                          "Twilio is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                          "TWILIO_WHATSAPP_FROM (environment or config file)");
  }
  const notify::SenderOptions options = notify::sender_options_from_settings(s);
  auto store = open_store(c, s);

  // Signals are taken by sigwait() here; the sender thread inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  notify::Sender sender(*store, twilio, options);
  sender.start();
  std::fprintf(stderr, "skinscan notify send: delivering from %s via %s (Ctrl-C to stop)\n",
               store->path().c_str(), twilio.api_base.c_str());
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "skinscan notify send: %s received, finishing the request in flight\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  sender.stop();
  std::fprintf(stderr, "skinscan notify send: stopped\n");
}

}  // namespace

void add_notify_command(CLI::App& app) {
  CLI::App* notify = app.add_subcommand("notify", "WhatsApp report outbox: list, resend, send");
  notify->require_subcommand(1);

  struct ListOpts {
    Common common;
    std::string status;
    bool json = false;
  };
  auto lo = std::make_shared<ListOpts>();
  CLI::App* l = notify->add_subcommand("list", "List WhatsApp notifications, newest first");
  add_common(l, lo->common);
  l->add_option("--status", lo->status, "Only this status (e.g. failed, not_configured)");
  l->add_flag("--json", lo->json, "JSON array instead of a table");
  l->callback([lo] { list(lo->common, lo->status, lo->json); });

  struct ResendOpts {
    Common common;
    long long screening = 0;
  };
  auto ro = std::make_shared<ResendOpts>();
  CLI::App* r = notify->add_subcommand("resend", "Queue every message of a screening again");
  add_common(r, ro->common);
  r->add_option("--screening", ro->screening, "Screening id")->required();
  r->callback([ro] { resend(ro->common, ro->screening); });

  auto so = std::make_shared<Common>();
  CLI::App* sd = notify->add_subcommand(
      "send", "Run the WhatsApp sender on the database until SIGINT/SIGTERM (one per database)");
  add_common(sd, *so);
  sd->callback([so] { send(*so); });
}

}  // namespace skinscan::cli
