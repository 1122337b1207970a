// `skinscan migrate --from sqlite:PATH --to postgresql://...`: moves a clinic's history,
// photos and WhatsApp outbox from its SQLite file to PostgreSQL (docs/deploy.md). The
// source is only read; the copy is one transaction, verified, and safe to rerun.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli/commands.h"
#include "data/error.h"
#include "store/copy.h"
#include "store/store.h"

namespace skinscan::cli {

void add_migrate_command(CLI::App& app) {
  struct Options {
    std::string from, to, images = "skinscan-data/images";
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "migrate", "Copy a SQLite database (history, photos, outbox) into PostgreSQL, verified");
  cmd->add_option("--from", o->from, "Source: sqlite:PATH (or a path)")->required();
  cmd->add_option("--to", o->to, "Target: postgresql://user@host:port/db")->required();
  cmd->add_option("--images", o->images,
                  "Photos of a version-1 database: the server's <data-dir>/images");
  cmd->callback([o] {
    const std::string path = o->from.starts_with("sqlite:") ? o->from.substr(7) : o->from;
    if (store::is_postgresql_url(path))
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "--from must be a SQLite file");
    if (!store::is_postgresql_url(o->to)) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "--to must be a postgresql:// URL");
    }
    const auto r = store::copy_sqlite_to_postgresql(path, o->to, o->images);
    std::printf(
        "screenings: %lld in source, %lld added (the rest were already there)\n"
        "notifications: %lld in source, %lld added\n"
        "photos: %lld in source, %lld added\n"
        "verified: screenings digest %s, notification ids, photo hashes\n",
        static_cast<long long>(r.screenings), static_cast<long long>(r.screenings_added),
        static_cast<long long>(r.notifications), static_cast<long long>(r.notifications_added),
        static_cast<long long>(r.photos), static_cast<long long>(r.photos_added),
        r.screenings_digest.c_str());
    if (!r.missing_photos.empty()) {
      std::fprintf(stderr,
                   "skinscan migrate: %zu photo(s) found neither in the database nor under %s "
                   "(first: %s); their screenings were copied without them\n",
                   r.missing_photos.size(), o->images.c_str(), r.missing_photos[0].c_str());
    }
  });
}

}  // namespace skinscan::cli
