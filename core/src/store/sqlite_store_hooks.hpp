// Test seams of the SQLite token store. Internal: only the store and its tests include this.
#pragma once

#include <functional>

struct sqlite3;

namespace calbridge::detail {

// Called with each connection a store opens, once it is configured and its schema is current,
// on the thread that opened it and before any call uses it. Tests read the connection's
// pragmas through it, and count it in a child after fork() to see that the child opened its
// own connection instead of using one inherited from the parent. Empty outside tests. Set it
// only while no store is in use on another thread: it is read without synchronisation.
extern std::function<void(sqlite3* connection)> sqlite_store_connection_opened;

}  // namespace calbridge::detail
