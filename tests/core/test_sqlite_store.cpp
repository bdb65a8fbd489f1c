// What only the SQLite token store promises: its pragmas, file modes, schema version and
// migrations, typed errors for a corrupt row, a foreign file, a read-only database and a
// writer that holds the lock too long, no transaction left open, pooled connections, and fresh
// connections in a child after fork(). The TokenStore contract runs on it in
// test_token_stores.cpp, the refresh lease contract in test_store_leases.cpp.
#include "support/catch.hpp"
#include "support/thrown_by.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/sqlite_store.hpp>

#include "store/sqlite_store_hooks.hpp"
#include "store_fixtures.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {


bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A connection of the test's own to the store's file, to look at it or tamper with it.
class RawDatabase {
public:
    explicit RawDatabase(const fs::path& file) {
        if (::sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
            const std::string why = ::sqlite3_errmsg(db_);
            ::sqlite3_close(db_);
            throw std::runtime_error("cannot open " + file.string() + ": " + why);
        }
    }
    RawDatabase(const RawDatabase&) = delete;
    RawDatabase& operator=(const RawDatabase&) = delete;
    ~RawDatabase() { ::sqlite3_close(db_); }

    int try_execute(const std::string& sql) { return ::sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

    void execute(const std::string& sql) {
        if (try_execute(sql) != SQLITE_OK) throw std::runtime_error(sql + ": " + ::sqlite3_errmsg(db_));
    }

    // The first column of the first row as text; "NULL" for a null, "" for no row.
    std::string value(const std::string& sql) { return value_on(db_, sql); }

    static std::string value_on(sqlite3* db, const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        if (::sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sql + ": " + ::sqlite3_errmsg(db));
        }
        std::string result;
        if (::sqlite3_step(statement) == SQLITE_ROW) {
            const auto* text = ::sqlite3_column_text(statement, 0);
            result = text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
        }
        ::sqlite3_finalize(statement);
        return result;
    }

    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// Sets the store's connection hook for one test.
class ScopedConnectionHook {
public:
    explicit ScopedConnectionHook(std::function<void(sqlite3*)> hook) {
        detail::sqlite_store_connection_opened = std::move(hook);
    }
    ScopedConnectionHook(const ScopedConnectionHook&) = delete;
    ScopedConnectionHook& operator=(const ScopedConnectionHook&) = delete;
    ~ScopedConnectionHook() { detail::sqlite_store_connection_opened = nullptr; }
};

class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
    ScopedUmask(const ScopedUmask&) = delete;
    ScopedUmask& operator=(const ScopedUmask&) = delete;
    ~ScopedUmask() { ::umask(previous_); }

private:
    mode_t previous_;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("every SQLite store connection runs in WAL mode with synchronous=FULL and the busy timeout", "[store][sqlite]") {
    TempDir dir;
    struct Pragmas {
        std::string journal_mode, synchronous, busy_timeout;
    };
    std::mutex mutex;
    std::vector<Pragmas> seen;
    ScopedConnectionHook hook([&](sqlite3* db) {
        Pragmas p{RawDatabase::value_on(db, "PRAGMA journal_mode"), RawDatabase::value_on(db, "PRAGMA synchronous"),
                  RawDatabase::value_on(db, "PRAGMA busy_timeout")};
        const std::lock_guard lock(mutex);
        seen.push_back(p);
    });
    SqliteTokenStore store(dir.path() / "tokens.db", SqliteStoreOptions{1234ms});
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});

    // Threads at once need connections of their own; each is set up the same way.
    constexpr int threads = 4;
    std::latch start(threads);
    std::vector<std::thread> workers;
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            start.arrive_and_wait();
            try {
                for (int i = 0; i < 20; ++i) {
                    if (!store.load("acc_1")) ++failures;
                }
            } catch (...) {
                ++failures;
            }
        });
    }
    for (auto& worker : workers) worker.join();
    CHECK(failures == 0);

    REQUIRE_FALSE(seen.empty());
    for (const Pragmas& p : seen) {
        CHECK(p.journal_mode == "wal");
        CHECK(p.synchronous == "2");  // FULL
        CHECK(p.busy_timeout == "1234");
    }
    CHECK(RawDatabase(store.file()).value("PRAGMA journal_mode") == "wal");  // kept in the file
}

TEST_CASE("the SQLite store reuses its connections instead of opening one per call", "[store][sqlite]") {
    TempDir dir;
    std::atomic<int> opened{0};
    ScopedConnectionHook hook([&](sqlite3*) { ++opened; });
    SqliteTokenStore store(dir.path() / "tokens.db");
    REQUIRE(opened == 1);  // the constructor's, which checked the schema

    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    for (std::uint64_t version = 1; version < 50; ++version) {
        REQUIRE(store.save("acc_1", credentials("acc_1", "v"), version) == version + 1);
        REQUIRE(store.load("acc_1").has_value());
    }
    CHECK(opened == 1);
}

TEST_CASE("the SQLite store creates its directory 0700 and its files 0600, whatever the umask", "[store][sqlite]") {
    TempDir dir;
    const fs::path directory = dir.path() / "nested" / "tokens";
    const fs::path file = directory / "tokens.db";
    {
        const ScopedUmask umask(0277);  // would make a plain open(0600) 0400 and mkdir(0700) 0500
        SqliteTokenStore store(file);
        REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
        CHECK(store.file() == file);

        CHECK(mode_of(directory) == 0700u);
        CHECK(mode_of(file) == 0600u);
        CHECK(mode_of(fs::path(file.string() + "-wal")) == 0600u);
        CHECK(mode_of(fs::path(file.string() + "-shm")) == 0600u);
    }
    // The -wal and -shm files stay when the store closes (so that a reader that cannot create
    // files can still open the database), with the same modes.
    CHECK(names_in(directory) == std::vector<std::string>{"tokens.db", "tokens.db-shm", "tokens.db-wal"});
    CHECK(mode_of(fs::path(file.string() + "-wal")) == 0600u);
}

TEST_CASE("an existing SQLite database file is used as it is, its mode included", "[store][sqlite]") {
    TempDir dir;
    const fs::path file = dir.path() / "tokens.db";
    { std::ofstream create(file); }  // an empty file: a database with nothing in it yet
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);

    SqliteTokenStore store(file);
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    CHECK(mode_of(file) == 0640u);
}

TEST_CASE("the SQLite store keeps one row per account in a versioned schema", "[store][sqlite]") {
    TempDir dir;
    SqliteTokenStore store(dir.path() / "tokens.db");
    const Credentials c = credentials("acc_1", "v1");
    REQUIRE(store.insert("acc_1", c) == std::uint64_t{1});

    RawDatabase raw(store.file());
    CHECK(raw.value("PRAGMA user_version") == "1");
    CHECK(raw.value("SELECT credentials FROM credentials WHERE account = 'acc_1'") == c.to_json());
    CHECK(raw.value("SELECT version || ',' || reauthorization_required || ',' || ifnull(lease_owner, 'NULL') || ',' || "
                    "ifnull(lease_until, 'NULL') || ',' || lease_epoch FROM credentials") == "1,0,NULL,NULL,0");
    CHECK(raw.try_execute("SELECT rowid FROM credentials") != SQLITE_OK);  // WITHOUT ROWID
    const auto updated_at = std::stoll(raw.value("SELECT updated_at FROM credentials"));
    CHECK(updated_at > now_ms() - 60'000);
    CHECK(updated_at <= now_ms());

    // The lease is in the row, its expiry in milliseconds on this host's wall clock.
    const std::int64_t before = now_ms();
    const LeaseClaim claim = store.claim("acc_1", 1, "owner-a", 30s);
    const std::int64_t after = now_ms();
    REQUIRE(claim.status == LeaseClaim::Status::granted);
    CHECK(raw.value("SELECT lease_owner FROM credentials") == "owner-a");
    CHECK(raw.value("SELECT lease_epoch FROM credentials") == std::to_string(claim.epoch));
    const auto until = std::stoll(raw.value("SELECT lease_until FROM credentials"));
    CHECK(until >= before + 30'000);
    CHECK(until <= after + 30'000);

    store.release("acc_1", claim.epoch);
    CHECK(raw.value("SELECT ifnull(lease_owner, 'NULL') || ',' || ifnull(lease_until, 'NULL') FROM credentials") ==
          "NULL,NULL");
    CHECK(store.mark_reauthorization_required("acc_1", 1));
    CHECK(raw.value("SELECT reauthorization_required FROM credentials") == "1");
}

TEST_CASE("an SQLite database of schema version 0 is upgraded in place", "[store][sqlite]") {
    TempDir dir;
    const fs::path file = dir.path() / "tokens.db";
    {
        // A database someone made before: rollback journal, a table of theirs, user_version 0.
        RawDatabase raw(file);
        raw.execute("PRAGMA journal_mode = DELETE");
        raw.execute("CREATE TABLE notes (text TEXT)");
        raw.execute("INSERT INTO notes VALUES ('kept')");
    }
    SqliteTokenStore store(file);
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});

    RawDatabase raw(file);
    CHECK(raw.value("PRAGMA user_version") == "1");
    CHECK(raw.value("PRAGMA journal_mode") == "wal");
    CHECK(raw.value("SELECT text FROM notes") == "kept");
    CHECK(raw.value("SELECT count(*) FROM credentials") == "1");
}

TEST_CASE("an SQLite database from a newer calbridge is refused", "[store][sqlite]") {
    TempDir dir;
    const fs::path file = dir.path() / "tokens.db";
    { SqliteTokenStore(file).insert("acc_1", credentials("acc_1", "v1")); }
    RawDatabase(file).execute("PRAGMA user_version = 2");

    const StoreError e = thrown_by<StoreError>([&] { SqliteTokenStore store(file); });
    CHECK(e.code() == ErrorCode::store);
    CAPTURE(e.what());
    CHECK(contains(e.what(), "SQLite token store " + file.string()));
    CHECK(contains(e.what(), "made by a newer calbridge (schema version 2, this one knows up to 1)"));
    CHECK(RawDatabase(file).value("SELECT count(*) FROM credentials") == "1");  // left as it was
}

TEST_CASE("a corrupt SQLite row is a StoreError naming the account, never the content", "[store][sqlite]") {
    TempDir dir;
    SqliteTokenStore store(dir.path() / "tokens.db");
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(store.insert("acc_2", credentials("acc_2", "v1")) == std::uint64_t{1});
    RawDatabase raw(store.file());

    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{SECRET-TOKEN-sl.B0aAbCdEfGhIjKlMnOp", "not valid JSON"},
        {R"(["SECRET-TOKEN"])", "stored credentials"},
        {R"({"format":1,"access_token":"SECRET-TOKEN","expires_at":"SECRET-TOKEN"})", R"("expires_at" is not an RFC 3339 time)"},
        {R"({"format":2,"access_token":"SECRET"})", "written by a newer calbridge"},
    };
    for (const auto& [content, why] : cases) {
        CAPTURE(content);
        sqlite3_stmt* statement = nullptr;
        REQUIRE(::sqlite3_prepare_v2(raw.handle(), "UPDATE credentials SET credentials = ?1 WHERE account = 'acc_1'", -1,
                                     &statement, nullptr) == SQLITE_OK);
        ::sqlite3_bind_text(statement, 1, content.c_str(), -1, SQLITE_TRANSIENT);
        REQUIRE(::sqlite3_step(statement) == SQLITE_DONE);
        ::sqlite3_finalize(statement);

        for (const StoreError& e : {thrown_by<StoreError>([&] { store.load("acc_1"); }),
                                    thrown_by<StoreError>([&] { store.claim("acc_1", 1, "owner", 30s); })}) {
            const std::string message = e.what();
            CAPTURE(message);
            CHECK(e.code() == ErrorCode::store);
            CHECK(contains(message, "SQLite token store " + store.file().string() +
                                        ": the credentials of account \"acc_1\" are corrupt: "));
            CHECK(contains(message, why));
            CHECK_FALSE(contains(message, "SECRET"));
        }
        CHECK(store.load("acc_2").has_value());  // the other account is fine
    }
    // Its version is intact, so replace() repairs it and the count goes on.
    CHECK(store.replace("acc_1", credentials("acc_1", "fresh")) == 2);
    CHECK(store.load("acc_1")->credentials == credentials("acc_1", "fresh"));
    CHECK(store.remove("acc_2"));
}

TEST_CASE("a failed SQLite call leaves no transaction open", "[store][sqlite]") {
    TempDir dir;
    SqliteTokenStore store(dir.path() / "tokens.db");
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    RawDatabase raw(store.file());
    raw.execute("UPDATE credentials SET credentials = '{' WHERE account = 'acc_1'");

    // claim() throws half-way through its write transaction (it read the corrupt row).
    CHECK_THROWS_AS(store.claim("acc_1", 1, "owner-a", 30s), StoreError);
    // Had the transaction stayed open, the store's connection would still hold the write lock.
    ::sqlite3_busy_timeout(raw.handle(), 0);
    CHECK(raw.try_execute("BEGIN IMMEDIATE") == SQLITE_OK);
    raw.execute("ROLLBACK");
    // And the same store goes on working (its connection was given back clean).
    CHECK(store.replace("acc_1", credentials("acc_1", "v2")) == 2);
    CHECK(store.claim("acc_1", 2, "owner-a", 30s).status == LeaseClaim::Status::granted);
}

TEST_CASE("an SQLite writer that holds the lock past the busy timeout makes writes a StoreError and loads go on",
          "[store][sqlite]") {
    TempDir dir;
    SqliteTokenStore store(dir.path() / "tokens.db", SqliteStoreOptions{100ms});
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    RawDatabase raw(store.file());
    raw.execute("BEGIN IMMEDIATE");
    raw.execute("UPDATE credentials SET version = 7 WHERE account = 'acc_1'");

    const auto started = std::chrono::steady_clock::now();
    const StoreError e = thrown_by<StoreError>([&] { store.save("acc_1", credentials("acc_1", "v2"), 1); });
    CHECK(std::chrono::steady_clock::now() - started >= 100ms);  // it waited the timeout first
    CAPTURE(e.what());
    CHECK(contains(e.what(), "SQLite token store " + store.file().string() + ": cannot save credentials: "));
    CHECK(contains(e.what(), "locked by another connection for longer than the busy timeout (100 ms)"));
    CHECK_THROWS_AS(store.claim("acc_1", 1, "owner-a", 30s), StoreError);
    CHECK_THROWS_AS(store.insert("acc_2", credentials("acc_2", "v1")), StoreError);
    const auto loaded = store.load("acc_1");  // WAL: a reader never waits for the writer
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1);

    raw.execute("ROLLBACK");
    CHECK(store.save("acc_1", credentials("acc_1", "v2"), 1) == std::uint64_t{2});
}

TEST_CASE("a file that is not an SQLite database is a StoreError, never its content", "[store][sqlite]") {
    TempDir dir;
    const fs::path file = dir.path() / "tokens.db";
    {
        std::ofstream out(file);
        for (int i = 0; i < 200; ++i) out << "SECRET-TOKEN-sl.B0aAbCdEfGhIjKlMnOp\n";
    }
    const StoreError e = thrown_by<StoreError>([&] { SqliteTokenStore store(file); });
    CAPTURE(e.what());
    CHECK(e.code() == ErrorCode::store);
    CHECK(contains(e.what(), "SQLite token store " + file.string() + ": "));
    CHECK(contains(e.what(), "not an SQLite database"));
    CHECK_FALSE(contains(e.what(), "SECRET"));

    CHECK(thrown_by<StoreError>([&] { SqliteTokenStore store(dir.path()); }).code() == ErrorCode::store);  // a directory
    CHECK(thrown_by<StoreError>([&] { SqliteTokenStore store(file / "below.db"); }).code() == ErrorCode::store);
    CHECK(thrown_by<StoreError>([] { SqliteTokenStore store(""); }).code() == ErrorCode::store);
}

TEST_CASE("a read-only SQLite database loads, and every write is a StoreError saying so", "[store][sqlite]") {
    // Run as another user where this one is root (root writes through any mode): a child drops
    // to "nobody", so the modes below hold for it.
    TempDir dir;
    const fs::path directory = dir.path() / "tokens";
    const fs::path file = directory / "tokens.db";
    {
        SqliteTokenStore store(file);
        REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
        const LeaseClaim claim = store.claim("acc_1", 1, "owner-a", 1ms);
        REQUIRE(claim.status == LeaseClaim::Status::granted);
    }
    const auto read_only = fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read;
    const auto traversable = read_only | fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::permissions(fs::path(file.string() + suffix), read_only);
    fs::permissions(dir.path(), traversable);
    const bool directory_read_only = GENERATE(false, true);
    fs::permissions(directory, directory_read_only ? traversable : fs::perms::all);
    CAPTURE(directory_read_only);

    const std::string report = in_child([&]() -> std::string {
        if (::geteuid() == 0) {
            const passwd* nobody = ::getpwnam("nobody");
            if (nobody == nullptr) return "no user nobody to drop to";
            if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) return "cannot drop to nobody";
        }
        if (::access(file.c_str(), W_OK) == 0) return "the file is still writable";
        std::string out;
        SqliteTokenStore store(file);
        const auto loaded = store.load("acc_1");
        out += loaded && loaded->version == 1 && loaded->credentials == credentials("acc_1", "v1") ? "load ok\n"
                                                                                                   : "load wrong\n";
        const auto attempt = [&](const char* name, const std::function<void()>& write) {
            try {
                write();
                out += std::string(name) + " did not throw\n";
            } catch (const StoreError& e) {
                const std::string message = e.what();
                const bool clear = contains(message, "SQLite token store " + file.string() + ": cannot ") &&
                                   contains(message, "the database is read-only for this process");
                out += std::string(name) + (clear ? " refused\n" : " unclear: " + message + "\n");
            }
        };
        const Credentials next = credentials("acc_1", "v2");
        attempt("insert", [&] { store.insert("acc_2", next); });
        attempt("save", [&] { store.save("acc_1", next, 1); });
        attempt("replace", [&] { store.replace("acc_1", next); });
        attempt("remove", [&] { store.remove("acc_1"); });
        attempt("claim", [&] { store.claim("acc_1", 1, "owner-b", 30s); });
        attempt("renew", [&] { store.renew("acc_1", 1, 30s); });
        attempt("release", [&] { store.release("acc_1", 1); });
        attempt("mark", [&] { store.mark_reauthorization_required("acc_1", 1); });
        return out;
    });
    CHECK(report ==
          "load ok\ninsert refused\nsave refused\nreplace refused\nremove refused\nclaim refused\n"
          "renew refused\nrelease refused\nmark refused\n");
}

TEST_CASE("an SQLite store used in a child after fork opens connections of its own", "[store][sqlite]") {
    TempDir dir;
    int opened = 0;  // the child counts in its own copy
    ScopedConnectionHook hook([&](sqlite3*) { ++opened; });
    SqliteTokenStore store(dir.path() / "tokens.db");
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(opened == 1);  // the parent's one connection, idle in the pool

    const std::string report = in_child([&] {
        const int before = opened;
        const LeaseClaim claim = store.claim("acc_1", 1, "child", 30s);
        const int opened_by_claim = opened - before;  // the very first call, not a later one
        const auto saved = store.save("acc_1", credentials("acc_1", "from-child"), 1);
        return std::to_string(opened_by_claim) + " " + std::to_string(opened - before) + " " +
               std::to_string(static_cast<int>(claim.status)) + " " + std::to_string(saved.value_or(0));
    });
    // One connection, opened by the first call and then kept for the second.
    CHECK(report == "1 1 " + std::to_string(static_cast<int>(LeaseClaim::Status::granted)) + " 2");
    // The parent's connection still works, and sees what the child wrote.
    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 2);
    CHECK(loaded->credentials == credentials("acc_1", "from-child"));
    CHECK(opened == 1);
}

TEST_CASE("SQLite store versions and credentials survive reopening", "[store][sqlite]") {
    TempDir dir;
    const fs::path file = dir.path() / "tokens.db";
    std::uint64_t epoch = 0;
    {
        SqliteTokenStore store(file);
        REQUIRE(store.insert("acc_1", credentials("acc_1", "a")) == std::uint64_t{1});
        REQUIRE(store.save("acc_1", credentials("acc_1", "b"), 1) == std::uint64_t{2});
        epoch = store.claim("acc_1", 2, "owner-a", 10min).epoch;
        REQUIRE(epoch > 0);
    }
    SqliteTokenStore reopened(file);
    const auto loaded = reopened.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 2);
    CHECK(loaded->credentials == credentials("acc_1", "b"));
    CHECK(reopened.claim("acc_1", 2, "owner-b", 10min).status == LeaseClaim::Status::held);  // the lease too
    CHECK(reopened.renew("acc_1", epoch, 10min));
}

TEST_CASE("any account key round-trips through the SQLite store", "[store][sqlite]") {
    TempDir dir;
    SqliteTokenStore store(dir.path() / "tokens.db");
    const std::vector<std::string> keys = {
        "../evil", "a/b", "", "'; DROP TABLE credentials; --", "A", "a", std::string("nul\0byte", 8),
        std::string("nul\0other", 9), "\xD0\xBF\xD0\xBE\xD0\xBB\xD1\x8C@\xE4\xBE\x8B\xE3\x81\x88.jp",
        std::string("\xff\xfe not UTF-8"), std::string(3000, 'x'),
    };
    for (std::size_t i = 0; i < keys.size(); ++i) {
        CAPTURE(i);
        CHECK(store.insert(keys[i], credentials("acc", "token-" + std::to_string(i))) == std::uint64_t{1});
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        CAPTURE(i);
        const auto loaded = store.load(keys[i]);
        REQUIRE(loaded.has_value());
        CHECK(loaded->credentials == credentials("acc", "token-" + std::to_string(i)));
        CHECK(store.claim(keys[i], 1, "owner", 10min).status == LeaseClaim::Status::granted);
    }
    CHECK_FALSE(store.load(std::string("nul")).has_value());  // not a prefix match
    CHECK(RawDatabase(store.file()).value("SELECT count(*) FROM credentials") == std::to_string(keys.size()));
}
