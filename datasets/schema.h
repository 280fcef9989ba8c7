#pragma once
// The workspace database schema and its migrations (docs/schema.md describes every table).
// PRAGMA user_version holds the number of migrations applied.
#include "sqlite_db.h"

namespace ember::data {

int schemaVersion();   // the version this build writes
// Applies the missing migrations in one transaction. Throws DbError for a database written by a
// newer build (user_version above schemaVersion()), so an old studio never damages it.
void migrate(Database& db);
int userVersion(Database& db);   // PRAGMA user_version: the migrations this database has

} // namespace ember::data
