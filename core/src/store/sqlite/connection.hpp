// One connection of the SQLite token store: its handle, its prepared statements, and its errors
// as StoreError; a Query (one use of a statement) and a WriteTransaction (BEGIN IMMEDIATE ...
// COMMIT) over it. Internal to the core: sqlite3.h stays behind this header.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

struct sqlite3;
struct sqlite3_stmt;

namespace calbridge::detail::sqlite {

// ---------------------------------------------------------------------------------------------
// Statements, prepared once per connection (their texts: connection.cpp).

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

// ---------------------------------------------------------------------------------------------
// One connection: its handle, its prepared statements, and its errors as StoreError.

class Connection {
public:
    // `label` must outlive the connection (the store's, "SQLite token store <file>").
    Connection(const std::filesystem::path& file, const std::string& label, std::chrono::milliseconds busy_timeout);

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // In a child after fork() the handle is the parent's: leaked, never closed (pool.hpp).
    ~Connection();

    sqlite3* handle() const noexcept { return db_; }
    pid_t pid() const noexcept { return pid_; }
    bool in_transaction() const noexcept;
    const std::string& label() const noexcept { return label_; }

    sqlite3_stmt* statement(Sql which);

    // For statements run once per connection (pragmas, migrations).
    void execute(const char* sql, std::string_view doing);

    // A StoreError for `rc`, naming what failed. SQLite's messages name the problem, never a
    // bound value, so no token can reach them.
    [[noreturn]] void fail(int rc, std::string_view doing) const;

private:
    // Per connection: journal_mode is kept in the file once set, synchronous is not.
    void configure();

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
    ~Query();

    // The text must live until the query ends (SQLITE_STATIC: no copy).
    Query& bind(int index, std::string_view text);
    Query& bind(int index, std::int64_t value);
    Query& bind(int index, std::uint64_t value) { return bind(index, static_cast<std::int64_t>(value)); }

    // True with a row to read, false when done.
    bool step();

    std::int64_t integer(int column) const;
    bool is_null(int column) const;
    std::string_view text(int column) const;
    int changes() const;

private:
    void check(int rc) const;

    Connection& connection_;
    sqlite3_stmt* statement_;
    std::string_view doing_;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when it ends without commit() (an exception).
class WriteTransaction {
public:
    WriteTransaction(Connection& connection, std::string_view doing);
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction();

    void commit();

private:
    Connection& connection_;
    std::string_view doing_;
};

}  // namespace calbridge::detail::sqlite
