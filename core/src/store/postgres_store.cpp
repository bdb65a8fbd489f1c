// The PostgreSQL token store: one row per account in one table, every operation one statement
// (so one round trip, and atomic without a transaction of ours), lease times on the server's
// clock. The connection pool, the listener and libpq itself live in store/postgres/.
//
// The table, as create_schema() makes it:
//   account                   TEXT PRIMARY KEY
//   version                   BIGINT      1 at insert, +1 on every save and replace
//   credentials               TEXT        Credentials::to_json(), the stored JSON form
//   reauthorization_required  BOOLEAN     the grant is dead until a replace
//   lease_owner, lease_until  TEXT, TIMESTAMPTZ   the refresh lease; both NULL when none
//   lease_epoch               BIGINT      +1 on every grant; never reset while the row lives
//   updated_at                TIMESTAMPTZ
// A trigger notifies channel <table> with the account as payload when the version moves, the
// mark changes, a lease ends, or the row comes or goes: what a waiter waits for.
#include <calbridge/errors.hpp>
#include <calbridge/postgres_store.hpp>

#include "store/postgres/connection.hpp"
#include "store/postgres/listener.hpp"
#include "store/postgres/pool.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <random>
#include <utility>

namespace calbridge {

namespace pg = detail::pg;

namespace {

using pg::Clock;

// Serialises schema creation by every process: CREATE TABLE IF NOT EXISTS alone can still fail
// with a unique violation when two sessions create the same table at once. "calbridg" in ASCII.
constexpr std::string_view schema_lock_key = "7161678097813415015";

// The name is spliced into statements (as a quoted identifier, and as the channel name), so
// only plain identifiers are accepted: a letter or underscore, then letters, digits and
// underscores, at most 63 bytes (PostgreSQL's limit for names).
std::string checked_table(const std::string& table) {
    const auto plain = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    const bool valid = !table.empty() && table.size() <= 63 && plain(table.front()) &&
                       std::all_of(table.begin(), table.end(), [&](char c) { return plain(c) || (c >= '0' && c <= '9'); });
    if (!valid) {
        throw ConfigurationError(
            "PostgresStoreOptions.table must be a plain identifier (letters, digits and '_', not starting with a digit, "
            "at most 63 characters)");
    }
    return table;
}

PostgresStoreOptions checked_options(PostgresStoreOptions options) {
    checked_table(options.table);
    if (options.pool_size < 1) throw ConfigurationError("PostgresStoreOptions.pool_size must be at least 1");
    if (options.statement_timeout.count() <= 0) {
        throw ConfigurationError("PostgresStoreOptions.statement_timeout must be positive");
    }
    if (options.poll_interval.count() <= 0) throw ConfigurationError("PostgresStoreOptions.poll_interval must be positive");
    return options;
}

// The SQL of every operation, with the table's name in place. Values are always parameters.
struct Statements {
    std::string schema, load, insert, save, replace, remove, claim, renew, release, mark, listen;

    explicit Statements(const std::string& table) {
        const std::string t = "\"" + table + "\"";
        // One simple-protocol message: one implicit transaction, so the advisory lock is held
        // until everything is made. The trigger function is shared by every table (the channel
        // is the table's name) and made only when missing, so a second role that uses the
        // same schema does not need to own it.
        schema = "SELECT pg_advisory_xact_lock(" + std::string(schema_lock_key) + ");\n"
                 "CREATE TABLE IF NOT EXISTS " + t + " (\n"
                 "  account TEXT PRIMARY KEY,\n"
                 "  version BIGINT NOT NULL CHECK (version > 0),\n"
                 "  credentials TEXT NOT NULL,\n"
                 "  reauthorization_required BOOLEAN NOT NULL DEFAULT false,\n"
                 "  lease_owner TEXT,\n"
                 "  lease_until TIMESTAMPTZ,\n"
                 "  lease_epoch BIGINT NOT NULL DEFAULT 0,\n"
                 "  updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()\n"
                 ");\n"
                 "DO $calbridge$\n"
                 "BEGIN\n"
                 "  IF to_regprocedure('calbridge_notify_change()') IS NULL THEN\n"
                 "    CREATE FUNCTION calbridge_notify_change() RETURNS trigger LANGUAGE plpgsql AS $function$\n"
                 "    BEGIN\n"
                 "      IF TG_OP = 'DELETE' THEN\n"
                 "        PERFORM pg_notify(TG_TABLE_NAME, OLD.account);\n"
                 "      ELSIF TG_OP = 'INSERT'\n"
                 "         OR NEW.version IS DISTINCT FROM OLD.version\n"
                 "         OR NEW.reauthorization_required IS DISTINCT FROM OLD.reauthorization_required\n"
                 "         OR (OLD.lease_owner IS NOT NULL AND NEW.lease_owner IS NULL) THEN\n"
                 "        PERFORM pg_notify(TG_TABLE_NAME, NEW.account);\n"
                 "      END IF;\n"
                 "      RETURN NULL;\n"
                 "    END\n"
                 "    $function$;\n"
                 "  END IF;\n"
                 "  IF NOT EXISTS (SELECT 1 FROM pg_trigger\n"
                 "                 WHERE tgrelid = '" + t + "'::regclass AND tgname = 'calbridge_notify_change') THEN\n"
                 "    CREATE TRIGGER calbridge_notify_change AFTER INSERT OR UPDATE OR DELETE ON " + t + "\n"
                 "      FOR EACH ROW EXECUTE FUNCTION calbridge_notify_change();\n"
                 "  END IF;\n"
                 "END\n"
                 "$calbridge$;\n";

        load = "SELECT version, credentials, reauthorization_required FROM " + t + " WHERE account = $1";

        insert = "INSERT INTO " + t + " (account, version, credentials, reauthorization_required, lease_owner,"
                 " lease_until, lease_epoch, updated_at)"
                 " VALUES ($1, 1, $2, false, NULL, NULL, 0, clock_timestamp())"
                 " ON CONFLICT (account) DO NOTHING RETURNING version";

        save = "UPDATE " + t + " SET version = version + 1, credentials = $3, reauthorization_required = false,"
               " lease_owner = NULL, lease_until = NULL, updated_at = clock_timestamp()"
               " WHERE account = $1 AND version = $2::bigint RETURNING version";

        replace = "INSERT INTO " + t + " AS c (account, version, credentials, reauthorization_required, lease_owner,"
                  " lease_until, lease_epoch, updated_at)"
                  " VALUES ($1, 1, $2, false, NULL, NULL, 0, clock_timestamp())"
                  " ON CONFLICT (account) DO UPDATE SET version = c.version + 1, credentials = EXCLUDED.credentials,"
                  " reauthorization_required = false, lease_owner = NULL, lease_until = NULL,"
                  " updated_at = clock_timestamp() RETURNING version";

        remove = "DELETE FROM " + t + " WHERE account = $1";

        // One statement decides and grants: `locked` takes the row lock (waiting for a
        // concurrent claim to commit, then reading the row as it left it), `granted` updates
        // that row only if it is still claimable, and the outer SELECT reports what `locked`
        // read and whether `granted` happened. The times are clock_timestamp(), read after the
        // lock wait (now() is the start of the statement, before it).
        claim = "WITH locked AS ("
                "  SELECT account, version, credentials, reauthorization_required, lease_until"
                "  FROM " + t + " WHERE account = $1 FOR UPDATE"
                "), granted AS ("
                "  UPDATE " + t + " AS c SET lease_owner = $3,"
                "    lease_until = clock_timestamp() + $4::bigint * interval '1 millisecond',"
                "    lease_epoch = c.lease_epoch + 1, updated_at = clock_timestamp()"
                "  FROM locked"
                "  WHERE c.account = locked.account AND c.version = $2::bigint AND NOT c.reauthorization_required"
                "    AND (c.lease_owner IS NULL OR c.lease_until IS NULL OR c.lease_until <= clock_timestamp())"
                "  RETURNING c.lease_epoch"
                ")"
                " SELECT locked.version, locked.credentials, locked.reauthorization_required,"
                "   (SELECT lease_epoch FROM granted),"
                "   GREATEST(0, ceil(extract(epoch FROM locked.lease_until - clock_timestamp()) * 1000))::bigint"
                " FROM locked";

        renew = "UPDATE " + t + " SET lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond',"
                " updated_at = clock_timestamp()"
                " WHERE account = $1 AND lease_epoch = $2::bigint AND lease_owner IS NOT NULL";

        release = "UPDATE " + t + " SET lease_owner = NULL, lease_until = NULL, updated_at = clock_timestamp()"
                  " WHERE account = $1 AND lease_epoch = $2::bigint AND lease_owner IS NOT NULL";

        mark = "UPDATE " + t + " SET reauthorization_required = true, lease_owner = NULL, lease_until = NULL,"
               " updated_at = clock_timestamp() WHERE account = $1 AND version = $2::bigint";

        listen = "LISTEN " + t;
    }
};

// Whether a statement may be sent a second time when the connection broke after it left.
enum class Resend {
    never,  // it may have committed, and running it again would answer differently
    safe,   // a read, or a write that does the same whether it ran once or twice
};

std::string number(std::uint64_t value) { return std::to_string(value); }
std::string number(std::chrono::milliseconds value) { return std::to_string(value.count()); }

// How long a waiter listens before it re-reads the store anyway: the poll interval plus up to
// half again, so the waiters of many processes do not re-read in step.
std::chrono::milliseconds jittered(std::chrono::milliseconds interval) {
    thread_local std::minstd_rand random(std::random_device{}());
    std::uniform_int_distribution<std::int64_t> extra(0, interval.count() / 2);
    return interval + std::chrono::milliseconds(extra(random));
}

}  // namespace

struct PostgresTokenStore::Impl {
    Impl(std::string conninfo, PostgresStoreOptions checked)
        : options(std::move(checked)),
          secrets(std::make_shared<const pg::ConninfoSecrets>(conninfo)),
          settings{checked_conninfo(std::move(conninfo)), options.statement_timeout, options.statement_timeout,
                   secrets},
          sql(options.table),
          pool(settings, static_cast<std::size_t>(options.pool_size)),
          listener(settings, options.table, sql.listen) {}

    // A string libpq cannot read fails here rather than at the first call (and without its
    // password: libpq quotes the piece it could not read).
    std::string checked_conninfo(std::string conninfo) const {
        if (const auto error = pg::conninfo_error(conninfo, *secrets)) fail("open", "invalid connection string: " + *error);
        return conninfo;
    }

    PostgresStoreOptions options;
    std::shared_ptr<const pg::ConninfoSecrets> secrets;
    pg::ConnectSettings settings;
    Statements sql;
    pg::ConnectionPool pool;
    pg::Listener listener;
    std::mutex schema_mutex;
    std::atomic<bool> schema_ready{false};

    [[noreturn]] void fail(std::string_view operation, std::string_view why) const {
        throw StoreError("PostgreSQL token store \"" + options.table + "\": " + std::string(operation) + ": " +
                         std::string(why));
    }

    // Runs `body` on a pooled connection. A statement that surely never reached the server
    // (no connection, or a send that failed) is sent once more on a new connection; one that
    // may have run is sent again only when that is `safe`.
    template <typename Body>
    auto with_connection(std::string_view operation, Resend resend, Body&& body) {
        listener.close_if_unused(std::chrono::seconds(60));
        const auto call_deadline = store_call_deadline();
        const auto bounded = [&](Clock::time_point t) { return call_deadline && *call_deadline < t ? *call_deadline : t; };
        for (int attempt = 0;; ++attempt) {
            try {
                auto connection = pool.acquire(bounded(Clock::now() + options.statement_timeout), attempt > 0);
                try {
                    // statement_timeout bounds it on the server; the margin is for the network.
                    // The calling call's deadline, when sooner, bounds it here.
                    auto result =
                        body(*connection, bounded(Clock::now() + options.statement_timeout + std::chrono::seconds(1)));
                    connection.release();
                    return result;
                } catch (const pg::Failure& e) {
                    if (e.kind() == pg::FailureKind::rejected) connection.release();
                    throw;
                }
            } catch (const pg::Failure& e) {
                const bool again = attempt == 0 && (e.kind() == pg::FailureKind::not_sent ||
                                                    (e.kind() == pg::FailureKind::lost && resend == Resend::safe));
                if (again) continue;
                switch (e.kind()) {
                case pg::FailureKind::lost:
                    fail(operation, "the connection broke after the statement was sent (it may or may not have "
                                    "taken effect): " + std::string(e.what()));
                case pg::FailureKind::timed_out:
                    if (call_deadline && Clock::now() >= *call_deadline) {
                        fail(operation, "no reply by the deadline of the call it serves; it may or may not have "
                                        "taken effect");
                    }
                    fail(operation, "no reply within the statement timeout (" + number(options.statement_timeout) +
                                        " ms) and 1 s more; it may or may not have taken effect");
                default:
                    fail(operation, e.what());
                }
            }
        }
    }

    pg::Result run(std::string_view operation, const std::string& statement,
                   const std::vector<std::optional<std::string>>& parameters, Resend resend) {
        ensure_schema();
        return with_connection(operation, resend, [&](pg::Connection& connection, Clock::time_point deadline) {
            return connection.execute(statement, parameters, deadline);
        });
    }

    void create_schema() {
        // Safe to send again: every part of it checks before it makes anything.
        with_connection("create schema", Resend::safe, [&](pg::Connection& connection, Clock::time_point deadline) {
            connection.execute_script(sql.schema, deadline);
            return true;
        });
        schema_ready.store(true, std::memory_order_release);
    }

    void ensure_schema() {
        if (!options.create_schema || schema_ready.load(std::memory_order_acquire)) return;
        const std::lock_guard lock(schema_mutex);
        if (!schema_ready.load(std::memory_order_acquire)) create_schema();
    }

    // A version or an epoch as the server returned it.
    std::uint64_t positive(std::string_view operation, std::string_view account, std::string_view column,
                           std::string_view text) const {
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
            fail(operation, "the row of account \"" + std::string(account) + "\" is corrupt: its " + std::string(column) +
                                " is not a positive integer");
        }
        return value;
    }

    // Columns: version, credentials, reauthorization_required.
    VersionedCredentials row(std::string_view operation, std::string_view account, const pg::Result& result) const {
        VersionedCredentials stored;
        stored.version = positive(operation, account, "version", result.text(0, 0));
        try {
            stored.credentials = Credentials::from_json(result.text(0, 1));
        } catch (const ProtocolError& e) {
            // Its message names a field, never a value.
            fail(operation, "the credentials of account \"" + std::string(account) + "\" are corrupt: " + e.what());
        }
        stored.reauthorization_required = result.text(0, 2) == "t";
        return stored;
    }
};

PostgresTokenStore::PostgresTokenStore(std::string conninfo, PostgresStoreOptions options)
    : impl_(std::make_unique<Impl>(std::move(conninfo), checked_options(std::move(options)))) {}

PostgresTokenStore::~PostgresTokenStore() = default;

void PostgresTokenStore::create_schema() { impl_->create_schema(); }

std::optional<VersionedCredentials> PostgresTokenStore::load(std::string_view account) {
    const pg::Result result = impl_->run("load", impl_->sql.load, {std::string(account)}, Resend::safe);
    if (result.rows() == 0) return std::nullopt;
    return impl_->row("load", account, result);
}

std::optional<std::uint64_t> PostgresTokenStore::insert(std::string_view account, const Credentials& credentials) {
    const pg::Result result =
        impl_->run("insert", impl_->sql.insert, {std::string(account), credentials.to_json()}, Resend::never);
    if (result.rows() == 0) return std::nullopt;
    return impl_->positive("insert", account, "version", result.text(0, 0));
}

std::optional<std::uint64_t> PostgresTokenStore::save(std::string_view account, const Credentials& credentials,
                                                      std::uint64_t expected_version) {
    const pg::Result result = impl_->run(
        "save", impl_->sql.save, {std::string(account), number(expected_version), credentials.to_json()}, Resend::never);
    if (result.rows() == 0) return std::nullopt;
    return impl_->positive("save", account, "version", result.text(0, 0));
}

std::uint64_t PostgresTokenStore::replace(std::string_view account, const Credentials& credentials) {
    const pg::Result result =
        impl_->run("replace", impl_->sql.replace, {std::string(account), credentials.to_json()}, Resend::never);
    if (result.rows() != 1) impl_->fail("replace", "the server returned no version");
    return impl_->positive("replace", account, "version", result.text(0, 0));
}

bool PostgresTokenStore::remove(std::string_view account) {
    return impl_->run("remove", impl_->sql.remove, {std::string(account)}, Resend::never).affected() > 0;
}

LeaseClaim PostgresTokenStore::claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                                     std::chrono::milliseconds ttl) {
    const pg::Result result = impl_->run(
        "claim", impl_->sql.claim,
        {std::string(account), number(expected_version), std::string(owner), number(ttl)}, Resend::never);
    LeaseClaim claim;
    if (result.rows() == 0) return claim;  // missing
    claim.stored = impl_->row("claim", account, result);
    if (claim.stored->reauthorization_required) {
        claim.status = LeaseClaim::Status::reauthorization_required;
    } else if (claim.stored->version != expected_version) {
        claim.status = LeaseClaim::Status::version_moved;
    } else if (!result.is_null(0, 3)) {
        claim.status = LeaseClaim::Status::granted;
        claim.epoch = impl_->positive("claim", account, "lease epoch", result.text(0, 3));
    } else {
        // Still claimable by version and mark, yet not granted: a live lease stood in the way.
        claim.status = LeaseClaim::Status::held;
        std::int64_t remaining = 0;
        const std::string_view text = result.text(0, 4);
        std::from_chars(text.data(), text.data() + text.size(), remaining);
        claim.remaining = std::chrono::milliseconds(remaining);
    }
    return claim;
}

// Renewing and releasing are conditional on the epoch, and marking on the version: each does
// the same whether it ran once or twice, so each may be sent again after a broken connection.
bool PostgresTokenStore::renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) {
    return impl_->run("renew", impl_->sql.renew, {std::string(account), number(epoch), number(ttl)}, Resend::safe)
               .affected() > 0;
}

void PostgresTokenStore::release(std::string_view account, std::uint64_t epoch) {
    impl_->run("release", impl_->sql.release, {std::string(account), number(epoch)}, Resend::safe);
}

bool PostgresTokenStore::mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) {
    return impl_->run("mark reauthorization required", impl_->sql.mark,
                      {std::string(account), number(expected_version)}, Resend::safe)
               .affected() > 0;
}

// `version` is not compared: a notification only says the row may have moved, and the caller
// re-reads it. Waits are cut to the poll interval (with jitter) whatever `timeout` says, so a
// notification lost to a broken listener or a pooler costs at most that.
bool PostgresTokenStore::wait_for_change(std::string_view account, std::uint64_t version,
                                         std::chrono::milliseconds timeout) {
    (void)version;
    const auto wait = std::min(timeout, jittered(impl_->options.poll_interval));
    if (wait.count() > 0) impl_->listener.wait(account, Clock::now() + wait);
    return true;
}

}  // namespace calbridge
