// Versioned schema migrations of the PostgreSQL backend. Version N means the same tables
// and rules as version N of the SQLite backend (src/store/migrations.cc), so `skinscan
// migrate` copies between equal versions. Never edit a shipped migration: append one.
#pragma once

#include "store/pg_db.h"

namespace skinscan::store {

int pg_latest_schema_version();

// Applies every missing migration in one transaction that first takes a transaction-level
// advisory lock (pg_advisory_xact_lock), so instances starting at once migrate one after
// the other and the later ones find the schema current. Throws StoreError when the
// database's version is newer than this build knows, or when it holds other tables but no
// SkinScan schema. An up-to-date database is not written.
int pg_migrate(PgConn& c);
int pg_schema_version(PgConn& c);

}  // namespace skinscan::store
