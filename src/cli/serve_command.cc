// `skinscan serve`: the clinic web app and REST API (issue 5). Configuration: flags beat
// SKINSCAN_* environment variables, which beat the config file (docs/configuration.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "data/settings.h"
#include "notify/twilio_config.h"
#include "store/store.h"
#include "web/engine_screener.h"
#include "web/server.h"

namespace skinscan::cli {

void add_serve_command(CLI::App& app) {
  struct Opts {
    web::ServerFlags flags;
    std::string config;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the clinic web app and JSON API (screening aid, not a diagnosis)");
  cmd->add_option("--host", o->flags.host, "Address to bind [SKINSCAN_HOST, 127.0.0.1]");
  cmd->add_option("--port", o->flags.port, "Port; 0 picks a free one [SKINSCAN_PORT, 8080]");
  cmd->add_option("--db", o->flags.db, "SQLite database file [SKINSCAN_DB, skinscan.db]");
  cmd->add_option("--data-dir", o->flags.data_dir,
                  "Folder for uploaded images [SKINSCAN_DATA_DIR, ./skinscan-data]");
  cmd->add_option("--model", o->flags.model, "Model directory [SKINSCAN_MODEL, models/default]");
  cmd->add_option("--web-root", o->flags.web_root,
                  "Folder holding pages/ and static/ [SKINSCAN_WEB_ROOT, this checkout's web/]");
  cmd->add_option("--region", o->flags.region,
                  "Default phone region [SKINSCAN_DEFAULT_REGION, US]");
  cmd->add_option("--rate-limit", o->flags.rate_limit,
                  "POST requests per minute per client IP, 0 = off [SKINSCAN_RATE_LIMIT, 60]");
  cmd->add_option("--threads", o->flags.threads,
                  "Screenings run at once, 0 = cores [SKINSCAN_THREADS, 0]");
  cmd->add_option("--public-url", o->flags.public_url,
                  "Public base URL, e.g. https://clinic.example [SKINSCAN_PUBLIC_URL]");
  cmd->add_option("--allowed-hosts", o->flags.allowed_hosts,
                  "Host names served, comma-separated, * = any [SKINSCAN_ALLOWED_HOSTS, "
                  "loopback names, the bind address and the public URL's host]");
  cmd->add_option("--config", o->config, "KEY=VALUE config file [SKINSCAN_CONFIG]");
  cmd->callback([o] {
    const Settings settings =
        o->config.empty() ? Settings::from_environment() : Settings::load(o->config);
    const web::ServerConfig cfg =
        web::resolve_server_config(settings, o->flags, default_model_dir(), SKINSCAN_WEB_ROOT);

    // Signals are taken by one watcher thread; every other thread blocks them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto screener = web::EngineScreener::load(cfg.model, 1);
    if (!store::is_postgresql_url(cfg.db)) {
      const auto file = cfg.db.starts_with("sqlite:") ? cfg.db.substr(7) : cfg.db;
      if (const auto parent = std::filesystem::path(file).parent_path(); !parent.empty()) {
        std::filesystem::create_directories(parent);
      }
    }
    std::shared_ptr<store::Store> store = store::open_store(cfg.db);
    const notify::TwilioConfig twilio = notify::TwilioConfig::from_settings(settings);
    web::Server server(cfg, screener, store, twilio,
                       notify::sender_options_from_settings(settings));
    server.bind();
    std::thread watcher([&server, signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      std::fprintf(stderr, "skinscan serve: %s received, finishing requests in flight\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      server.stop();
    });
    std::printf("SkinScan listening on %s\n", server.url().c_str());
    std::fprintf(stderr,
                 "skinscan serve: model %s, database %s, images %s/images, WhatsApp %s, auth %s\n",
                 screener->model_version().c_str(), store->path().c_str(), cfg.data_dir.c_str(),
                 twilio.configured() ? "configured" : "not configured (messages kept)",
                 cfg.api_token.empty() ? "off" : "on");
    std::fflush(stdout);
    server.run();
    watcher.join();
    std::fprintf(stderr, "skinscan serve: stopped\n");
  });
}

}  // namespace skinscan::cli
