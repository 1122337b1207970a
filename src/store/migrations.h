// Versioned schema migrations. Version N is the N-th entry of the list; applied versions
// are recorded in `schema_migrations(version, applied_at)`. Never edit a shipped
// migration: append a new one.
#pragma once

#include "store/sqlite_db.h"

namespace skinscan::store {

// The newest schema version this build knows.
int latest_schema_version();

// Applies every missing migration inside one BEGIN IMMEDIATE transaction (so two processes
// opening the same new file cannot both migrate it) and returns the resulting version.
// Throws StoreError when the file's version is newer than latest_schema_version(), or when
// the file belongs to another application (its PRAGMA application_id is not SkinScan's).
int migrate(const DbRef& ref);

// The SQL of migration `version` (1..latest_schema_version()), for tests that build a file
// as an older SkinScan wrote it.
const char* migration_sql(int version);

// Reads the applied version (0 for a fresh file).
int current_schema_version(const DbRef& ref);

}  // namespace skinscan::store
