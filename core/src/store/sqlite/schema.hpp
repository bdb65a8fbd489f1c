// The SQLite token store's schema and its migrations.
//
// PRAGMA user_version is the schema version: 0 in a new (empty) file. migrations[v] takes a
// database from version v to v + 1, inside the one transaction that also sets user_version, so
// a crash leaves either the old schema or the new one. A new version is one more function at
// the end of the list (schema.cpp).
#pragma once

#include "store/sqlite/connection.hpp"

namespace calbridge::detail::sqlite {

// Brings the connection's database to the current schema version: nothing when it is there
// already, StoreError when a newer calbridge made it or its version is unknown.
void migrate(Connection& connection);

}  // namespace calbridge::detail::sqlite
