// The SQLite token store: one row per account in a WAL-mode database file.
//
// Threads: a connection is used by one thread at a time. Each call borrows one from a small
// pool of idle connections (opening a new one when none is idle) and gives it back, so N
// threads use at most N connections and a thread that ends leaves nothing behind. Connections
// are opened SQLITE_OPEN_NOMUTEX: the pool already keeps them to one thread at a time.
//
// Processes: SQLite's file locks serialise writers. Every read-modify-write is one
// BEGIN IMMEDIATE transaction, which takes the write lock first and waits busy_timeout for it;
// a deferred transaction that read first could instead fail at its first write, without
// waiting, whenever another process committed in between. Loads are plain reads (WAL readers
// never wait for writers). No transaction outlives the call that began it, exceptions included.
//
// fork(): SQLite connections must not cross a fork. A pool belongs to the process that made
// it; a call in a child finds the pool's pid is not its own and starts a new, empty pool. The
// parent's pool and connections are left alone, leaked on purpose: closing them in the child
// would touch the parent's locks and files, and the pool's mutex may have been held by a
// parent thread at the moment of fork(). As with any library, fork() while another thread is
// inside a call is still unsafe: SQLite's own process-wide locks may be held at that moment.
#include <calbridge/errors.hpp>
#include <calbridge/sqlite_store.hpp>

#include "credentials/credentials_json.hpp"
#include "store/lease_rules.hpp"
#include "store/private_directory.hpp"
#include "store/sqlite_store_hooks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <limits>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace calbridge {

namespace detail {
std::function<void(sqlite3* connection)> sqlite_store_connection_opened;
}  // namespace detail

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Idle connections kept per store; more are closed when given back.
constexpr std::size_t max_idle_connections = 16;

// ---------------------------------------------------------------------------------------------
// Statements, prepared once per connection.

enum class Sql : std::size_t {
    begin_immediate,
    commit,
    rollback,
    user_version,
    load,
    insert,
    save,
    replace,
    remove,
    claim_read,
    claim_write,
    renew,
    release,
    mark,
    data_version,
    count_,
};

// Indexed by Sql. `updated_at` is when the credentials were last written (insert, save,
// replace), for diagnosis; lease changes do not move it.
constexpr std::array<const char*, static_cast<std::size_t>(Sql::count_)> sql_text = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "PRAGMA user_version",
    "SELECT version, credentials, reauthorization_required FROM credentials WHERE account = ?1",
    "INSERT INTO credentials (account, version, credentials, reauthorization_required, lease_epoch, updated_at) "
    "VALUES (?1, 1, ?2, 0, 0, ?3) ON CONFLICT (account) DO NOTHING",
    "UPDATE credentials SET version = version + 1, credentials = ?3, reauthorization_required = 0, "
    "lease_owner = NULL, lease_until = NULL, updated_at = ?4 WHERE account = ?1 AND version = ?2",
    "INSERT INTO credentials (account, version, credentials, reauthorization_required, lease_epoch, updated_at) "
    "VALUES (?1, 1, ?2, 0, 0, ?3) ON CONFLICT (account) DO UPDATE SET version = version + 1, "
    "credentials = excluded.credentials, reauthorization_required = 0, lease_owner = NULL, lease_until = NULL, "
    "updated_at = excluded.updated_at RETURNING version",
    "DELETE FROM credentials WHERE account = ?1",
    "SELECT version, credentials, reauthorization_required, lease_owner IS NOT NULL, lease_until, lease_epoch "
    "FROM credentials WHERE account = ?1",
    "UPDATE credentials SET lease_owner = ?2, lease_until = ?3, lease_epoch = ?4 WHERE account = ?1",
    "UPDATE credentials SET lease_until = ?3 WHERE account = ?1 AND lease_epoch = ?2 AND lease_owner IS NOT NULL",
    "UPDATE credentials SET lease_owner = NULL, lease_until = NULL "
    "WHERE account = ?1 AND lease_epoch = ?2 AND lease_owner IS NOT NULL",
    "UPDATE credentials SET reauthorization_required = 1, lease_owner = NULL, lease_until = NULL "
    "WHERE account = ?1 AND version = ?2",
    "PRAGMA data_version",
};

// Versions and epochs are unsigned in the interface and INTEGER (signed 64-bit) in SQLite; a
// value past INT64_MAX can match no row, so callers answer "no" before asking.
bool fits_sqlite(std::uint64_t value) noexcept {
    return value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

// An account id as it appears in a message: quoted, any byte outside printable ASCII escaped
// (ids are not secret, but may hold anything).
std::string quoted(std::string_view account) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : account) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        }
    }
    return out + '"';
}

// ---------------------------------------------------------------------------------------------
// One connection: its handle, its prepared statements, and its errors as StoreError.

class Connection {
public:
    Connection(const fs::path& file, const std::string& label, std::chrono::milliseconds busy_timeout)
        : label_(label), busy_timeout_(busy_timeout), pid_(::getpid()) {
        // No SQLITE_OPEN_CREATE: the store created the file itself, 0600. READWRITE falls back
        // to read-only when the file or its directory is not writable: loads still work.
        const int rc = ::sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            const std::string why = db_ != nullptr ? ::sqlite3_errmsg(db_) : ::sqlite3_errstr(rc);
            ::sqlite3_close_v2(db_);
            db_ = nullptr;
            throw StoreError(label_ + ": cannot open: " + why);
        }
        try {
            ::sqlite3_extended_result_codes(db_, 1);
            const auto ms = busy_timeout_.count();
            ::sqlite3_busy_timeout(db_, ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
            // Keep the -wal and -shm files when the last connection closes: a reader whose
            // directory it cannot write (a read-only mount, a service account) can still open
            // the database, and the files keep the mode they were made with.
            int persist = 1;
            ::sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
            configure();
        } catch (...) {
            ::sqlite3_close_v2(db_);
            db_ = nullptr;
            throw;
        }
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // In a child after fork() the handle is the parent's: leaked, never closed (see above).
    ~Connection() {
        if (db_ == nullptr || pid_ != ::getpid()) return;
        for (sqlite3_stmt* statement : statements_) ::sqlite3_finalize(statement);
        ::sqlite3_close_v2(db_);
    }

    sqlite3* handle() const noexcept { return db_; }
    pid_t pid() const noexcept { return pid_; }
    bool in_transaction() const noexcept { return ::sqlite3_get_autocommit(db_) == 0; }
    const std::string& label() const noexcept { return label_; }

    sqlite3_stmt* statement(Sql which) {
        sqlite3_stmt*& slot = statements_[static_cast<std::size_t>(which)];
        if (slot == nullptr) {
            const char* text = sql_text[static_cast<std::size_t>(which)];
            const int rc = ::sqlite3_prepare_v3(db_, text, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr);
            if (rc != SQLITE_OK) fail(rc, "prepare a statement");
        }
        return slot;
    }

    // For statements run once per connection (pragmas, migrations).
    void execute(const char* sql, std::string_view doing) {
        const int rc = ::sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) fail(rc, doing);
    }

    // A StoreError for `rc`, naming what failed. SQLite's messages name the problem, never a
    // bound value, so no token can reach them.
    [[noreturn]] void fail(int rc, std::string_view doing) const {
        std::string why;
        switch (rc & 0xFF) {
        case SQLITE_BUSY:
            why = "the database stayed locked by another connection for longer than the busy timeout (" +
                  std::to_string(busy_timeout_.count()) + " ms)";
            break;
        case SQLITE_READONLY:
            why = "the database is read-only for this process (the file or its directory is not writable): " +
                  std::string(::sqlite3_errmsg(db_));
            break;
        case SQLITE_NOTADB:
            why = "the file is not an SQLite database";
            break;
        case SQLITE_CORRUPT:
            why = "the database file is corrupt: " + std::string(::sqlite3_errmsg(db_));
            break;
        default:
            why = ::sqlite3_errmsg(db_);
            break;
        }
        throw StoreError(label_ + ": cannot " + std::string(doing) + ": " + why);
    }

private:
    // Per connection: journal_mode is kept in the file once set, synchronous is not.
    void configure() {
        sqlite3_stmt* statement = nullptr;
        int rc = ::sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &statement, nullptr);
        std::string mode;
        if (rc == SQLITE_OK) {
            rc = ::sqlite3_step(statement);
            if (rc == SQLITE_ROW) {
                const auto* text = ::sqlite3_column_text(statement, 0);
                if (text != nullptr) mode = reinterpret_cast<const char*>(text);
                rc = SQLITE_OK;
            }
        }
        ::sqlite3_finalize(statement);
        if (rc != SQLITE_OK) fail(rc, "open the database");
        // A read-only connection cannot switch a rollback-journal database to WAL; it reads it
        // as it is, and its writes fail as read-only anyway.
        if (mode != "wal" && ::sqlite3_db_readonly(db_, "main") != 1) {
            throw StoreError(label_ + ": cannot open the database: it stays in journal mode \"" + mode +
                             "\" instead of WAL");
        }
        // FULL: a commit is on disk before it returns; a refresh token rotation lost at power
        // failure costs the user the grant.
        execute("PRAGMA synchronous = FULL", "open the database");
    }

    sqlite3* db_ = nullptr;
    const std::string& label_;
    std::chrono::milliseconds busy_timeout_;
    pid_t pid_;
    std::array<sqlite3_stmt*, static_cast<std::size_t>(Sql::count_)> statements_{};
};

// One use of a prepared statement: bound, stepped, and reset when it goes out of scope (a
// statement left unreset keeps its read snapshot open).
class Query {
public:
    Query(Connection& connection, Sql which, std::string_view doing)
        : connection_(connection), statement_(connection.statement(which)), doing_(doing) {}
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    ~Query() {
        ::sqlite3_reset(statement_);
        ::sqlite3_clear_bindings(statement_);
    }

    // The text must live until the query ends (SQLITE_STATIC: no copy).
    Query& bind(int index, std::string_view text) {
        check(::sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
        return *this;
    }
    Query& bind(int index, std::int64_t value) {
        check(::sqlite3_bind_int64(statement_, index, value));
        return *this;
    }
    Query& bind(int index, std::uint64_t value) { return bind(index, static_cast<std::int64_t>(value)); }

    // True with a row to read, false when done.
    bool step() {
        const int rc = ::sqlite3_step(statement_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        connection_.fail(rc, doing_);
    }

    std::int64_t integer(int column) const { return ::sqlite3_column_int64(statement_, column); }
    bool is_null(int column) const { return ::sqlite3_column_type(statement_, column) == SQLITE_NULL; }
    std::string_view text(int column) const {
        const auto* data = ::sqlite3_column_text(statement_, column);
        const int size = ::sqlite3_column_bytes(statement_, column);
        return data == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
    }
    int changes() const { return ::sqlite3_changes(connection_.handle()); }

private:
    void check(int rc) const {
        if (rc != SQLITE_OK) connection_.fail(rc, doing_);
    }

    Connection& connection_;
    sqlite3_stmt* statement_;
    std::string_view doing_;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when it ends without commit() (an exception).
class WriteTransaction {
public:
    WriteTransaction(Connection& connection, std::string_view doing) : connection_(connection), doing_(doing) {
        Query(connection_, Sql::begin_immediate, doing_).step();
    }
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction() {
        if (!connection_.in_transaction()) return;
        // A failed rollback leaves the transaction open; the pool then closes the connection
        // instead of keeping it, which rolls back too.
        const int rc = ::sqlite3_step(connection_.statement(Sql::rollback));
        (void)rc;
        ::sqlite3_reset(connection_.statement(Sql::rollback));
    }

    void commit() { Query(connection_, Sql::commit, doing_).step(); }

private:
    Connection& connection_;
    std::string_view doing_;
};

// ---------------------------------------------------------------------------------------------
// The schema and its migrations.
//
// PRAGMA user_version is the schema version: 0 in a new (empty) file. migrations[v] takes a
// database from version v to v + 1, inside the one transaction that also sets user_version, so
// a crash leaves either the old schema or the new one. A new version is one more function at
// the end of the list.

using Migration = void (*)(Connection&);

void create_credentials_table(Connection& connection) {
    // WITHOUT ROWID: rows are looked up by account only, so the table is its primary key's
    // b-tree. lease_until is milliseconds since the Unix epoch on the writer's wall clock;
    // lease_owner is NULL when no lease is held; lease_epoch only grows.
    connection.execute(
        "CREATE TABLE credentials ("
        " account TEXT NOT NULL PRIMARY KEY,"
        " version INTEGER NOT NULL CHECK (version >= 1),"
        " credentials TEXT NOT NULL,"
        " reauthorization_required INTEGER NOT NULL DEFAULT 0,"
        " lease_owner TEXT,"
        " lease_until INTEGER,"
        " lease_epoch INTEGER NOT NULL DEFAULT 0,"
        " updated_at INTEGER NOT NULL"
        ") WITHOUT ROWID",
        "create the credentials table");
}

constexpr std::array<Migration, 1> migrations = {create_credentials_table};
constexpr std::int64_t schema_version = static_cast<std::int64_t>(migrations.size());

std::int64_t read_user_version(Connection& connection) {
    Query query(connection, Sql::user_version, "read the schema version");
    if (!query.step()) return 0;
    return query.integer(0);
}

[[noreturn]] void throw_newer(const Connection& connection, std::int64_t found) {
    throw StoreError(connection.label() + ": the database was made by a newer calbridge (schema version " +
                     std::to_string(found) + ", this one knows up to " + std::to_string(schema_version) + ")");
}

void migrate(Connection& connection) {
    std::int64_t version = read_user_version(connection);
    if (version == schema_version) return;
    if (version > schema_version) throw_newer(connection, version);
    WriteTransaction transaction(connection, "upgrade the schema");
    version = read_user_version(connection);  // another process may have upgraded it meanwhile
    if (version > schema_version) throw_newer(connection, version);
    if (version == schema_version) return;
    if (version < 0) {
        throw StoreError(connection.label() + ": the database has an unknown schema version " +
                         std::to_string(version));
    }
    for (; version < schema_version; ++version) migrations[static_cast<std::size_t>(version)](connection);
    const std::string set_version = "PRAGMA user_version = " + std::to_string(schema_version);
    connection.execute(set_version.c_str(), "upgrade the schema");
    transaction.commit();
}

// ---------------------------------------------------------------------------------------------
// The file and the credentials' text.

// Created 0600 here rather than by SQLite, which would apply the umask; the -wal and -shm
// files SQLite creates later copy the database file's mode. An existing file is used as it is.
void create_database_file(const fs::path& file, const std::string& label) {
    int fd = -1;
    do {
        fd = ::open(file.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == EEXIST) return;
        throw StoreError(label + ": cannot create the file: " + std::generic_category().message(errno));
    }
    const int chmod_result = ::fchmod(fd, 0600);  // the umask may have taken bits off
    const int error = errno;
    ::close(fd);
    if (chmod_result != 0) {
        throw StoreError(label + ": cannot set the file's mode: " + std::generic_category().message(error));
    }
}

fs::path absolute_file(const fs::path& file) {
    if (file.empty()) throw StoreError("the SQLite token store's file name is empty");
    std::error_code ec;
    fs::path absolute = fs::absolute(file, ec);
    if (ec) throw StoreError("cannot resolve " + file.string() + ": " + ec.message());
    return absolute;
}

std::string credentials_text(const Credentials& credentials) {
    return json::serialize(detail::credentials_to_json_object(credentials));
}

Credentials parse_credentials(std::string_view text, const Connection& connection, std::string_view account) {
    const auto corrupt = [&](std::string_view why) -> StoreError {
        return StoreError(connection.label() + ": the credentials of account " + quoted(account) +
                          " are corrupt: " + std::string(why));
    };
    json::error_code ec;
    const json::value document = json::parse(text, ec, {}, detail::stored_json_parse_options());
    if (ec) throw corrupt("not valid JSON");
    try {
        return detail::credentials_from_json_value(document);
    } catch (const ProtocolError& e) {
        throw corrupt(e.what());  // names a field, never a value
    }
}

std::uint64_t row_version(std::int64_t version, const Connection& connection, std::string_view account) {
    if (version < 1) {
        throw StoreError(connection.label() + ": the version of account " + quoted(account) + " is corrupt");
    }
    return static_cast<std::uint64_t>(version);
}

// ---------------------------------------------------------------------------------------------
// The pool.

struct Pool {
    explicit Pool(pid_t owner) : pid(owner) {}
    const pid_t pid;  // the process that made it; no other may touch it
    std::mutex mutex;
    std::vector<std::unique_ptr<Connection>> idle;
};

// The store's state: its file and this process's pool of connections to it.
struct Database {
    Database(fs::path path, SqliteStoreOptions store_options)
        : file(std::move(path)), label("SQLite token store " + file.string()), options(store_options) {
        detail::ensure_private_directory(file.parent_path());
        create_database_file(file, label);
        pool.store(new Pool(::getpid()));
    }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // A parent's pool, seen from a child, is leaked (see the top of the file).
    ~Database() {
        Pool* current = pool.load();
        if (current != nullptr && current->pid == ::getpid()) delete current;
    }

    // This process's pool; the first call in a child after fork() replaces the parent's.
    Pool& current_pool() {
        Pool* current = pool.load(std::memory_order_acquire);
        const pid_t self = ::getpid();
        if (current->pid == self) return *current;
        auto fresh = std::make_unique<Pool>(self);
        if (pool.compare_exchange_strong(current, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
        return *current;  // another thread of this child was first
    }

    std::unique_ptr<Connection> open_connection() {
        auto connection = std::make_unique<Connection>(file, label, options.busy_timeout);
        migrate(*connection);
        if (detail::sqlite_store_connection_opened) detail::sqlite_store_connection_opened(connection->handle());
        return connection;
    }

    const fs::path file;
    const std::string label;  // "SQLite token store <file>", the prefix of every message
    const SqliteStoreOptions options;
    std::atomic<Pool*> pool{nullptr};
};

// A connection for one call, given back to its pool when the call ends.
class Borrowed {
public:
    explicit Borrowed(Database& database) : pool_(database.current_pool()) {
        {
            const std::lock_guard lock(pool_.mutex);
            if (!pool_.idle.empty()) {
                connection_ = std::move(pool_.idle.back());
                pool_.idle.pop_back();
            }
        }
        if (!connection_) connection_ = database.open_connection();
    }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;

    // A connection still in a transaction (its rollback failed) is closed, not kept; one from
    // before a fork() this very call made (a hook, say) is left to the parent.
    ~Borrowed() {
        if (connection_->in_transaction() || connection_->pid() != ::getpid()) return;
        const std::lock_guard lock(pool_.mutex);
        if (pool_.idle.size() < max_idle_connections) pool_.idle.push_back(std::move(connection_));
    }

    Connection& operator*() const noexcept { return *connection_; }

private:
    Pool& pool_;
    std::unique_ptr<Connection> connection_;
};

}  // namespace

struct SqliteTokenStore::Impl : Database {
    using Database::Database;
};

SqliteTokenStore::SqliteTokenStore(std::filesystem::path file, SqliteStoreOptions options)
    : impl_(std::make_unique<Impl>(absolute_file(file), options)) {
    // Open (and create or upgrade the schema) now, so that a bad file fails here, not at the
    // first call.
    const Borrowed connection(*impl_);
}

SqliteTokenStore::~SqliteTokenStore() = default;

const std::filesystem::path& SqliteTokenStore::file() const noexcept { return impl_->file; }

std::optional<VersionedCredentials> SqliteTokenStore::load(std::string_view account) {
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    Query query(connection, Sql::load, "load credentials");
    query.bind(1, account);
    if (!query.step()) return std::nullopt;
    VersionedCredentials loaded;
    loaded.version = row_version(query.integer(0), connection, account);
    loaded.credentials = parse_credentials(query.text(1), connection, account);
    loaded.reauthorization_required = query.integer(2) != 0;
    return loaded;
}

std::optional<std::uint64_t> SqliteTokenStore::insert(std::string_view account, const Credentials& credentials) {
    const std::string text = credentials_text(credentials);
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "insert credentials");
    bool inserted = false;
    {
        Query query(connection, Sql::insert, "insert credentials");
        query.bind(1, account).bind(2, text).bind(3, detail::lease_clock_now_ms());
        query.step();
        inserted = query.changes() == 1;
    }
    transaction.commit();
    if (!inserted) return std::nullopt;
    return 1;
}

std::optional<std::uint64_t> SqliteTokenStore::save(std::string_view account, const Credentials& credentials,
                                                    std::uint64_t expected_version) {
    if (!fits_sqlite(expected_version)) return std::nullopt;
    const std::string text = credentials_text(credentials);
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "save credentials");
    bool saved = false;
    {
        Query query(connection, Sql::save, "save credentials");
        query.bind(1, account).bind(2, expected_version).bind(3, text).bind(4, detail::lease_clock_now_ms());
        query.step();
        saved = query.changes() == 1;
    }
    transaction.commit();
    if (!saved) return std::nullopt;
    return expected_version + 1;
}

// Unlike the file store, a row whose credentials are corrupt is replaced: its version is a
// column of its own and intact, so the count goes on and nothing restarts at 1.
std::uint64_t SqliteTokenStore::replace(std::string_view account, const Credentials& credentials) {
    const std::string text = credentials_text(credentials);
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "replace credentials");
    std::uint64_t version = 0;
    {
        Query query(connection, Sql::replace, "replace credentials");
        query.bind(1, account).bind(2, text).bind(3, detail::lease_clock_now_ms());
        if (!query.step()) throw StoreError(impl_->label + ": cannot replace credentials: no version came back");
        version = row_version(query.integer(0), connection, account);
        query.step();  // RETURNING's statement completes only at SQLITE_DONE
    }
    transaction.commit();
    return version;
}

bool SqliteTokenStore::remove(std::string_view account) {
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "remove credentials");
    bool removed = false;
    {
        Query query(connection, Sql::remove, "remove credentials");
        query.bind(1, account);
        query.step();
        removed = query.changes() == 1;
    }
    transaction.commit();
    return removed;
}

LeaseClaim SqliteTokenStore::claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                                   std::chrono::milliseconds ttl) {
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "claim the refresh lease");
    LeaseClaim result;
    detail::LeaseRow row;
    std::uint64_t epoch = 0;
    {
        Query query(connection, Sql::claim_read, "claim the refresh lease");
        query.bind(1, account);
        if (!query.step()) return result;  // missing; the transaction rolls back (nothing written)
        VersionedCredentials stored;
        stored.version = row_version(query.integer(0), connection, account);
        stored.credentials = parse_credentials(query.text(1), connection, account);
        stored.reauthorization_required = query.integer(2) != 0;
        row = {stored.version, stored.reauthorization_required, query.integer(3) != 0, query.integer(4)};
        epoch = static_cast<std::uint64_t>(query.integer(5));
        result.stored = std::move(stored);
    }
    const std::int64_t now = detail::lease_clock_now_ms();
    result.status = detail::claim_status(row, expected_version, now, result.remaining);
    if (result.status != LeaseClaim::Status::granted) return result;
    {
        Query query(connection, Sql::claim_write, "claim the refresh lease");
        query.bind(1, account).bind(2, owner).bind(3, detail::lease_expiry_ms(now, ttl)).bind(4, epoch + 1);
        query.step();
    }
    transaction.commit();
    result.epoch = epoch + 1;
    return result;
}

bool SqliteTokenStore::renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) {
    if (!fits_sqlite(epoch)) return false;
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "renew the refresh lease");
    bool renewed = false;
    {
        Query query(connection, Sql::renew, "renew the refresh lease");
        query.bind(1, account).bind(2, epoch).bind(3, detail::lease_expiry_ms(detail::lease_clock_now_ms(), ttl));
        query.step();
        renewed = query.changes() == 1;
    }
    transaction.commit();
    return renewed;
}

void SqliteTokenStore::release(std::string_view account, std::uint64_t epoch) {
    if (!fits_sqlite(epoch)) return;
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "release the refresh lease");
    {
        Query query(connection, Sql::release, "release the refresh lease");
        query.bind(1, account).bind(2, epoch);
        query.step();
    }
    transaction.commit();
}

bool SqliteTokenStore::mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) {
    if (!fits_sqlite(expected_version)) return false;
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    WriteTransaction transaction(connection, "mark the account for reauthorization");
    bool marked = false;
    {
        Query query(connection, Sql::mark, "mark the account for reauthorization");
        query.bind(1, account).bind(2, expected_version);
        query.step();
        marked = query.changes() == 1;
    }
    transaction.commit();
    return marked;
}

}  // namespace calbridge

namespace calbridge {

// SQLite cannot notify another process, but every connection can tell cheaply (a read of the
// WAL index in shared memory, no lock) whether any other connection has committed since it
// last looked: PRAGMA data_version. Waiters look every 2 ms, so they learn of the holder's
// commit within milliseconds instead of a poll interval. Any commit wakes them (another
// account's, a lease renewal): they then re-read, which is what a poll would have done anyway.
bool SqliteTokenStore::wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) {
    (void)account, (void)version;
    constexpr auto step = std::chrono::milliseconds(2);
    const Borrowed borrowed(*impl_);
    Connection& connection = *borrowed;
    const auto data_version = [&] {
        Query query(connection, Sql::data_version, "read the data version");
        if (!query.step()) connection.fail(SQLITE_ERROR, "read the data version");
        return query.integer(0);
    };
    const std::int64_t seen = data_version();
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (auto now = std::chrono::steady_clock::now(); now < end; now = std::chrono::steady_clock::now()) {
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(step, end - now));
        if (data_version() != seen) return true;
    }
    return true;
}

}  // namespace calbridge
