#include "store/sqlite/connection.hpp"

#include <calbridge/errors.hpp>

#include <sqlite3.h>

#include <climits>
#include <string>

#include <unistd.h>

namespace calbridge::detail::sqlite {

namespace {

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

}  // namespace

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(const std::filesystem::path& file, const std::string& label,
                       std::chrono::milliseconds busy_timeout)
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

Connection::~Connection() {
    if (db_ == nullptr || pid_ != ::getpid()) return;
    for (sqlite3_stmt* statement : statements_) ::sqlite3_finalize(statement);
    ::sqlite3_close_v2(db_);
}

bool Connection::in_transaction() const noexcept { return ::sqlite3_get_autocommit(db_) == 0; }

sqlite3_stmt* Connection::statement(Sql which) {
    sqlite3_stmt*& slot = statements_[static_cast<std::size_t>(which)];
    if (slot == nullptr) {
        const char* text = sql_text[static_cast<std::size_t>(which)];
        const int rc = ::sqlite3_prepare_v3(db_, text, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr);
        if (rc != SQLITE_OK) fail(rc, "prepare a statement");
    }
    return slot;
}

void Connection::execute(const char* sql, std::string_view doing) {
    const int rc = ::sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, doing);
}

void Connection::fail(int rc, std::string_view doing) const {
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

void Connection::configure() {
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

// ---------------------------------------------------------------------------------------------
// Query

Query::~Query() {
    ::sqlite3_reset(statement_);
    ::sqlite3_clear_bindings(statement_);
}

Query& Query::bind(int index, std::string_view text) {
    check(::sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
}

Query& Query::bind(int index, std::int64_t value) {
    check(::sqlite3_bind_int64(statement_, index, value));
    return *this;
}

bool Query::step() {
    const int rc = ::sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    connection_.fail(rc, doing_);
}

std::int64_t Query::integer(int column) const { return ::sqlite3_column_int64(statement_, column); }

bool Query::is_null(int column) const { return ::sqlite3_column_type(statement_, column) == SQLITE_NULL; }

std::string_view Query::text(int column) const {
    const auto* data = ::sqlite3_column_text(statement_, column);
    const int size = ::sqlite3_column_bytes(statement_, column);
    return data == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

int Query::changes() const { return ::sqlite3_changes(connection_.handle()); }

void Query::check(int rc) const {
    if (rc != SQLITE_OK) connection_.fail(rc, doing_);
}

// ---------------------------------------------------------------------------------------------
// WriteTransaction

WriteTransaction::WriteTransaction(Connection& connection, std::string_view doing)
    : connection_(connection), doing_(doing) {
    Query(connection_, Sql::begin_immediate, doing_).step();
}

WriteTransaction::~WriteTransaction() {
    if (!connection_.in_transaction()) return;
    // A failed rollback leaves the transaction open; the pool then closes the connection
    // instead of keeping it, which rolls back too.
    const int rc = ::sqlite3_step(connection_.statement(Sql::rollback));
    (void)rc;
    ::sqlite3_reset(connection_.statement(Sql::rollback));
}

void WriteTransaction::commit() { Query(connection_, Sql::commit, doing_).step(); }

}  // namespace calbridge::detail::sqlite
