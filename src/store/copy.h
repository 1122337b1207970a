// `skinscan migrate`: copies a clinic's SQLite database (history, notification rows with
// their delivery state, photos) into a PostgreSQL database, keeping every id (so the
// references SS-000042 people were given stay valid), then verifies counts and hashes.
//
// Contracts:
//  - The source file is opened read-only and never changed (any schema version this build
//    knows; version 1 photos are read from `images_dir`, version 2 ones from its blobs).
//  - Everything is written in ONE PostgreSQL transaction: a failed copy leaves the target
//    as it was.
//  - Safe to rerun: rows already present with the same content are kept; a row whose id is
//    taken by DIFFERENT content is an error (the target is not a copy of this source), and
//    nothing is written.
//  - Rows left `sending` by the old server are copied as due at once (lease expired).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace skinscan::store {

struct CopyReport {
  std::int64_t screenings = 0, notifications = 0, photos = 0;  // in the source
  std::int64_t screenings_added = 0, notifications_added = 0, photos_added = 0;
  std::vector<std::string> missing_photos;  // sha256 of photos found neither in blobs nor files
  std::string screenings_digest;            // SHA-256 over every copied screening field
};

// Throws StoreError on any failure or mismatch (nothing written then).
CopyReport copy_sqlite_to_postgresql(const std::string& sqlite_path, const std::string& pg_url,
                                     const std::filesystem::path& images_dir);

}  // namespace skinscan::store
