// The SQLite token store's state: its database file and this process's pool of connections
// to it.
//
// Threads: a connection is used by one thread at a time. Each call borrows one from a small
// pool of idle connections (opening a new one when none is idle) and gives it back, so N
// threads use at most N connections and a thread that ends leaves nothing behind. Connections
// are opened SQLITE_OPEN_NOMUTEX: the pool already keeps them to one thread at a time.
//
// fork(): SQLite connections must not cross a fork. A pool belongs to the process that made
// it; a call in a child finds the pool's pid is not its own and starts a new, empty pool. The
// parent's pool and connections are left alone, leaked on purpose: closing them in the child
// would touch the parent's locks and files, and the pool's mutex may have been held by a
// parent thread at the moment of fork(). As with any library, fork() while another thread is
// inside a call is still unsafe: SQLite's own process-wide locks may be held at that moment.
#pragma once

#include <calbridge/sqlite_store.hpp>

#include "store/sqlite/connection.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sys/types.h>

namespace calbridge::detail::sqlite {

struct Pool {
    explicit Pool(pid_t owner) : pid(owner) {}
    const pid_t pid;  // the process that made it; no other may touch it
    std::mutex mutex;
    std::vector<std::unique_ptr<Connection>> idle;
};

// The store's state: its file and this process's pool of connections to it.
struct Database {
    // Creates the directory (0700) and the file (0600) when missing.
    Database(std::filesystem::path path, SqliteStoreOptions store_options);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // A parent's pool, seen from a child, is leaked (see the top of the file).
    ~Database();

    // This process's pool; the first call in a child after fork() replaces the parent's.
    Pool& current_pool();

    // A new connection, configured, its schema current (schema.hpp), shown to the test hook
    // (sqlite_store_hooks.hpp).
    std::unique_ptr<Connection> open_connection();

    const std::filesystem::path file;
    const std::string label;  // "SQLite token store <file>", the prefix of every message
    const SqliteStoreOptions options;
    std::atomic<Pool*> pool{nullptr};
};

// A connection for one call, given back to its pool when the call ends.
class Borrowed {
public:
    explicit Borrowed(Database& database);
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;

    // A connection still in a transaction (its rollback failed) is closed, not kept; one from
    // before a fork() this very call made (a hook, say) is left to the parent.
    ~Borrowed();

    Connection& operator*() const noexcept { return *connection_; }

private:
    Pool& pool_;
    std::unique_ptr<Connection> connection_;
};

}  // namespace calbridge::detail::sqlite
