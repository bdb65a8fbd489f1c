// The SQLite token store: one row per account in a WAL-mode database file. Its connections
// (and the statements they prepare), the schema and the pool of connections (threads, fork())
// live in store/sqlite/.
//
// Processes: SQLite's file locks serialise writers. Every read-modify-write is one
// BEGIN IMMEDIATE transaction, which takes the write lock first and waits busy_timeout for it;
// a deferred transaction that read first could instead fail at its first write, without
// waiting, whenever another process committed in between. Loads are plain reads (WAL readers
// never wait for writers). No transaction outlives the call that began it, exceptions included.
#include <calbridge/errors.hpp>
#include <calbridge/sqlite_store.hpp>

#include "credentials/credentials_json.hpp"
#include "store/lease_rules.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/pool.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace calbridge {

namespace sqlite = detail::sqlite;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using sqlite::Borrowed;
using sqlite::Connection;
using sqlite::Query;
using sqlite::Sql;
using sqlite::WriteTransaction;

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
// The file name and the credentials' text.

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

}  // namespace

struct SqliteTokenStore::Impl : sqlite::Database {
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
