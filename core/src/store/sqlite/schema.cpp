#include "store/sqlite/schema.hpp"

#include <calbridge/errors.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace calbridge::detail::sqlite {

namespace {

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

}  // namespace

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

}  // namespace calbridge::detail::sqlite
