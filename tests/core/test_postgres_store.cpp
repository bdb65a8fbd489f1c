// The PostgreSQL token store against a real server: the one the CTest fixture "postgres"
// starts (tests/support/postgres_cluster.py), named by the file CALBRIDGE_TEST_POSTGRES_URL_FILE.
// Without it the tests fail: a store test that silently skips proves nothing. Each test works
// in a table of its own, so tests may run at once against one server; the restart test starts
// a server of its own, since it breaks every session of the one it restarts.
#include "support/catch.hpp"
#include "support/thrown_by.hpp"
#include "store_fixtures.hpp"
#include "support/sync.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/postgres_store.hpp>

#include "session/store_calls.hpp"
#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <latch>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace calbridge;
using namespace calbridge::testing;
namespace fs = std::filesystem;
using Status = LeaseClaim::Status;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

std::string read_url_file(const fs::path& file) {
    std::ifstream in(file);
    std::string url;
    std::getline(in, url);
    if (url.empty()) throw std::runtime_error("no URL in " + file.string());
    return url;
}

// The shared test server's URL. Fails (never skips) when the fixture did not provide one.
std::string server_url() {
    const char* file = std::getenv("CALBRIDGE_TEST_POSTGRES_URL_FILE");
    if (file == nullptr || *file == '\0') {
        FAIL("CALBRIDGE_TEST_POSTGRES_URL_FILE is not set: run these tests through ctest (fixture \"postgres\"), or "
             "start a server with `tests/support/postgres_cluster.py start DIR` and set it to DIR/url");
    }
    return read_url_file(file);
}

// A name no other test (or earlier run against the same server) uses.
std::string unique_table(const std::string& purpose) {
    static std::atomic<int> counter{0};
    return "cbt_" + purpose + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
           std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
}

// A plain libpq session, for what the store must not be able to do: corrupt a row, hold a lock.
class AdminConnection {
public:
    explicit AdminConnection(const std::string& url) : connection_(PQconnectdb(url.c_str())) {
        if (PQstatus(connection_) != CONNECTION_OK) {
            const std::string message = PQerrorMessage(connection_);
            PQfinish(connection_);
            throw std::runtime_error("admin connection failed: " + message);
        }
    }
    AdminConnection(const AdminConnection&) = delete;
    AdminConnection& operator=(const AdminConnection&) = delete;
    ~AdminConnection() { PQfinish(connection_); }

    // Runs `sql` with text parameters; returns the first column of every row.
    std::vector<std::string> query(const std::string& sql, const std::vector<std::string>& parameters = {}) {
        std::vector<const char*> values;
        for (const auto& p : parameters) values.push_back(p.c_str());
        PGresult* result = PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                        values.data(), nullptr, nullptr, 0);
        const auto status = PQresultStatus(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const std::string message = PQresultErrorMessage(result);
            PQclear(result);
            throw std::runtime_error("admin statement failed: " + message);
        }
        std::vector<std::string> rows;
        for (int i = 0; i < PQntuples(result); ++i) rows.emplace_back(PQgetvalue(result, i, 0));
        PQclear(result);
        return rows;
    }

private:
    PGconn* connection_;
};

// A store on a table of its own, dropped afterwards.
struct Fixture {
    explicit Fixture(const std::string& purpose, PostgresStoreOptions options = {})
        : url(server_url()), table(unique_table(purpose)), store(url, with_table(std::move(options), table)) {}
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;
    ~Fixture() {
        try {
            AdminConnection(url).query("DROP TABLE IF EXISTS \"" + table + "\"");
        } catch (const std::exception& e) {
            std::cerr << "could not drop " << table << ": " << e.what() << '\n';
        }
    }

    static PostgresStoreOptions with_table(PostgresStoreOptions options, const std::string& table) {
        options.table = table;
        return options;
    }
    // Another store (another pool, another listener) on the same table: another process, as
    // far as the server can tell.
    PostgresTokenStore other(PostgresStoreOptions options = {}) const {
        return PostgresTokenStore(url, with_table(std::move(options), table));
    }

    std::string url;
    std::string table;
    PostgresTokenStore store;
};



// Claims until granted, waiting between tries as a holder's waiters would; every try before
// must find the lease held. Bounded by sync_timeout.
LeaseClaim claim_once_free(PostgresTokenStore& store, const std::string& account, std::uint64_t version,
                           const std::string& owner, milliseconds ttl) {
    const auto deadline = Clock::now() + testing::sync_timeout;
    while (true) {
        LeaseClaim claim = store.claim(account, version, owner, ttl);
        if (claim.status != Status::held) return claim;
        if (Clock::now() > deadline) throw std::runtime_error("the lease never expired");
        store.wait_for_change(account, version, claim.remaining + milliseconds(1));
    }
}

// A loopback TCP socket bound to a free port: listening (the kernel completes handshakes and
// then nobody answers) or closed again (connections are refused).
class LocalPort {
public:
    explicit LocalPort(bool listening) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
            (listening && ::listen(fd_, 16) != 0)) {
            throw std::runtime_error("cannot set up a local port");
        }
        port_ = ntohs(address.sin_port);
        if (!listening) ::close(std::exchange(fd_, -1));
    }
    LocalPort(const LocalPort&) = delete;
    LocalPort& operator=(const LocalPort&) = delete;
    ~LocalPort() {
        if (fd_ >= 0) ::close(fd_);
    }
    std::string port() const { return std::to_string(port_); }

private:
    int fd_;
    int port_ = 0;
};

// A server of the test's own, through the same harness as the fixture's.
class PrivateServer {
public:
    PrivateServer() {
        std::string pattern = (fs::temp_directory_path() / "calbridge-pg-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        directory_ = pattern;
        harness("start");
        url_ = read_url_file(directory_ / "url");
    }
    PrivateServer(const PrivateServer&) = delete;
    PrivateServer& operator=(const PrivateServer&) = delete;
    ~PrivateServer() {
        try {
            harness("stop");
        } catch (const std::exception& e) {
            std::cerr << e.what() << '\n';
        }
    }

    const std::string& url() const noexcept { return url_; }
    void halt() { harness("halt"); }
    void start() { harness("start"); }
    void restart() { harness("restart"); }

private:
    void harness(const std::string& command) {
        const std::string line = std::string(CALBRIDGE_TEST_PYTHON) + " " + CALBRIDGE_POSTGRES_CLUSTER_SCRIPT + " " +
                                 command + " " + directory_.string() + " >/dev/null";
        std::cout.flush();
        if (std::system(line.c_str()) != 0) throw std::runtime_error("postgres_cluster.py " + command + " failed");
    }

    fs::path directory_;
    std::string url_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The TokenStore contract

TEST_CASE("postgres: insert, load, save, replace and remove keep versions", "[postgres]") {
    Fixture f("contract");
    TokenStore& store = f.store;

    CHECK(store.load("acc_1") == std::nullopt);
    CHECK(store.insert("acc_1", credentials("acc_1", "first")) == std::uint64_t{1});
    CHECK(store.insert("acc_1", credentials("acc_1", "second")) == std::nullopt);
    auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1);
    CHECK(loaded->credentials == credentials("acc_1", "first"));
    CHECK_FALSE(loaded->reauthorization_required);

    CHECK(store.save("acc_1", credentials("acc_1", "stale"), 0) == std::nullopt);
    CHECK(store.save("acc_1", credentials("acc_1", "third"), 1) == std::uint64_t{2});
    CHECK(store.save("acc_1", credentials("acc_1", "stale"), 1) == std::nullopt);
    CHECK(store.load("acc_1")->credentials == credentials("acc_1", "third"));

    CHECK(store.replace("acc_1", credentials("acc_1", "fourth")) == 3);
    CHECK(store.replace("acc_new", credentials("acc_new", "x")) == 1);
    CHECK(store.load("acc_1")->version == 3);

    CHECK(store.save("acc_missing", credentials("acc_missing", "x"), 1) == std::nullopt);
    CHECK(store.remove("acc_1"));
    CHECK_FALSE(store.remove("acc_1"));
    CHECK(store.load("acc_1") == std::nullopt);
    CHECK(store.save("acc_1", credentials("acc_1", "x"), 3) == std::nullopt);
    CHECK(store.refresh_leases() == &f.store);
}

TEST_CASE("postgres: account keys are values, not SQL", "[postgres]") {
    Fixture f("keys");
    for (const std::string& account : std::vector<std::string>{"a'; DROP TABLE x; --", "ünïcødé", "$1", "\\\"quoted\"", std::string(300, 'k')}) {
        CAPTURE(account);
        REQUIRE(f.store.insert(account, credentials(account, "t")) == std::uint64_t{1});
        CHECK(f.store.load(account)->credentials == credentials(account, "t"));
    }
}

TEST_CASE("postgres: many threads on one store lose no compare-and-swap update", "[postgres]") {
    PostgresStoreOptions options;
    options.pool_size = 3;  // fewer connections than threads: the pool makes them wait their turn
    Fixture f("cas", options);
    f.store.insert("acc", credentials("acc", "0"));
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            for (int won = 0; won < 10;) {
                const auto current = f.store.load("acc");
                Credentials next = current->credentials;
                next.access_token = Secret(std::to_string(std::stoi(current->credentials.access_token.reveal()) + 1));
                if (f.store.save("acc", next, current->version)) ++won;
            }
        });
    }
    for (auto& t : threads) t.join();
    const auto final = f.store.load("acc");
    CHECK(final->version == 61);
    CHECK(final->credentials.access_token.reveal() == "60");
}

// ---------------------------------------------------------------------------------------------
// The lease

TEST_CASE("postgres: a claim on a missing account is missing", "[postgres][lease]") {
    Fixture f("missing");
    const LeaseClaim claim = f.store.claim("acc_none", 1, "owner-a", milliseconds(30000));
    CHECK(claim.status == Status::missing);
    CHECK_FALSE(claim.stored.has_value());
    CHECK(claim.epoch == 0);
}

TEST_CASE("postgres: a claim is granted once, with the stored credentials, then held", "[postgres][lease]") {
    Fixture f("grant");
    f.store.insert("acc", credentials("acc", "one"));

    const LeaseClaim granted = f.store.claim("acc", 1, "owner-a", milliseconds(30000));
    REQUIRE(granted.status == Status::granted);
    CHECK(granted.epoch == 1);
    REQUIRE(granted.stored.has_value());
    CHECK(granted.stored->version == 1);
    CHECK(granted.stored->credentials == credentials("acc", "one"));

    PostgresTokenStore other = f.other();
    const LeaseClaim held = other.claim("acc", 1, "owner-b", milliseconds(30000));
    CHECK(held.status == Status::held);
    CHECK(held.remaining > milliseconds(20000));
    CHECK(held.remaining <= milliseconds(30000));
    REQUIRE(held.stored.has_value());
    CHECK(held.stored->version == 1);
    CHECK(held.epoch == 0);
    // The holder itself is no exception: a second claim would be a second refresh.
    CHECK(f.store.claim("acc", 1, "owner-a", milliseconds(30000)).status == Status::held);
}

TEST_CASE("postgres: a claim at an old version finds the version moved, with the newer credentials",
          "[postgres][lease]") {
    Fixture f("moved");
    f.store.insert("acc", credentials("acc", "one"));
    f.store.save("acc", credentials("acc", "two"), 1);
    const LeaseClaim claim = f.store.claim("acc", 1, "owner-a", milliseconds(30000));
    CHECK(claim.status == Status::version_moved);
    REQUIRE(claim.stored.has_value());
    CHECK(claim.stored->version == 2);
    CHECK(claim.stored->credentials == credentials("acc", "two"));
    // Moved wins over held: the waiter has what it waited for.
    REQUIRE(f.store.claim("acc", 2, "owner-a", milliseconds(30000)).status == Status::granted);
    CHECK(f.store.claim("acc", 1, "owner-b", milliseconds(30000)).status == Status::version_moved);
}

TEST_CASE("postgres: the mark is set only at the expected version, ends the lease and stops claims",
          "[postgres][lease]") {
    Fixture f("mark");
    f.store.insert("acc", credentials("acc", "one"));
    const LeaseClaim granted = f.store.claim("acc", 1, "owner-a", milliseconds(30000));
    REQUIRE(granted.status == Status::granted);

    CHECK_FALSE(f.store.mark_reauthorization_required("acc", 2));
    CHECK_FALSE(f.store.load("acc")->reauthorization_required);
    CHECK_FALSE(f.store.mark_reauthorization_required("acc_none", 1));

    CHECK(f.store.mark_reauthorization_required("acc", 1));
    const auto loaded = f.store.load("acc");
    CHECK(loaded->reauthorization_required);
    CHECK(loaded->version == 1);  // lease operations never move the version
    CHECK_FALSE(f.store.renew("acc", granted.epoch, milliseconds(30000)));  // the lease ended

    const LeaseClaim claim = f.store.claim("acc", 1, "owner-b", milliseconds(30000));
    CHECK(claim.status == Status::reauthorization_required);
    REQUIRE(claim.stored.has_value());
    CHECK(claim.stored->reauthorization_required);
    // Marked wins over moved: nothing but a new authorization helps.
    CHECK(f.store.claim("acc", 7, "owner-b", milliseconds(30000)).status == Status::reauthorization_required);
}

TEST_CASE("postgres: replace and save clear the mark and the lease", "[postgres][lease]") {
    Fixture f("clear");
    f.store.insert("acc", credentials("acc", "one"));
    REQUIRE(f.store.mark_reauthorization_required("acc", 1));
    CHECK(f.store.replace("acc", credentials("acc", "reauthorized")) == 2);
    CHECK_FALSE(f.store.load("acc")->reauthorization_required);

    const LeaseClaim first = f.store.claim("acc", 2, "owner-a", milliseconds(30000));
    REQUIRE(first.status == Status::granted);
    REQUIRE(f.store.save("acc", credentials("acc", "refreshed"), 2) == std::uint64_t{3});
    CHECK_FALSE(f.store.renew("acc", first.epoch, milliseconds(30000)));
    const LeaseClaim second = f.store.claim("acc", 3, "owner-b", milliseconds(30000));
    REQUIRE(second.status == Status::granted);

    REQUIRE(f.store.replace("acc", credentials("acc", "replaced")) == 4);
    CHECK_FALSE(f.store.renew("acc", second.epoch, milliseconds(30000)));
    CHECK(f.store.claim("acc", 4, "owner-c", milliseconds(30000)).status == Status::granted);

    REQUIRE(f.store.mark_reauthorization_required("acc", 4));
    REQUIRE(f.store.save("acc", credentials("acc", "saved"), 4) == std::uint64_t{5});
    CHECK_FALSE(f.store.load("acc")->reauthorization_required);
}

TEST_CASE("postgres: an expired lease is taken over, and the old holder's renew and release do nothing",
          "[postgres][lease]") {
    Fixture f("takeover");
    PostgresStoreOptions fast;
    fast.poll_interval = milliseconds(10);
    PostgresTokenStore other = f.other(fast);
    f.store.insert("acc", credentials("acc", "one"));

    const LeaseClaim old_holder = f.store.claim("acc", 1, "owner-a", milliseconds(50));
    REQUIRE(old_holder.status == Status::granted);
    const LeaseClaim new_holder = claim_once_free(other, "acc", 1, "owner-b", milliseconds(30000));
    REQUIRE(new_holder.status == Status::granted);
    CHECK(new_holder.epoch == old_holder.epoch + 1);
    CHECK(new_holder.stored->version == 1);

    CHECK_FALSE(f.store.renew("acc", old_holder.epoch, milliseconds(30000)));
    f.store.release("acc", old_holder.epoch);
    CHECK(f.store.claim("acc", 1, "owner-c", milliseconds(30000)).status == Status::held);

    CHECK(other.renew("acc", new_holder.epoch, milliseconds(30000)));
    other.release("acc", new_holder.epoch);
    CHECK_FALSE(other.renew("acc", new_holder.epoch, milliseconds(30000)));  // released: nothing to renew
    const LeaseClaim third = f.store.claim("acc", 1, "owner-c", milliseconds(30000));
    CHECK(third.status == Status::granted);
    CHECK(third.epoch == new_holder.epoch + 1);
}

TEST_CASE("postgres: renew extends a lease, even one past its expiry that nobody took", "[postgres][lease]") {
    Fixture f("renew");
    f.store.insert("acc", credentials("acc", "one"));
    const LeaseClaim granted = f.store.claim("acc", 1, "owner-a", milliseconds(1));
    REQUIRE(granted.status == Status::granted);
    CHECK(f.store.renew("acc", granted.epoch, milliseconds(60000)));
    const LeaseClaim held = f.store.claim("acc", 1, "owner-b", milliseconds(30000));
    CHECK(held.status == Status::held);
    CHECK(held.remaining > milliseconds(30000));
    CHECK_FALSE(f.store.renew("acc", granted.epoch + 1, milliseconds(60000)));
    CHECK_FALSE(f.store.renew("acc_none", 1, milliseconds(60000)));
}

TEST_CASE("postgres: the epoch only grows, across releases, saves and replaces", "[postgres][lease]") {
    Fixture f("epoch");
    f.store.insert("acc", credentials("acc", "one"));
    std::uint64_t version = 1;
    std::uint64_t last = 0;
    for (int round = 0; round < 6; ++round) {
        const LeaseClaim claim = f.store.claim("acc", version, "owner", milliseconds(30000));
        REQUIRE(claim.status == Status::granted);
        CHECK(claim.epoch == last + 1);
        last = claim.epoch;
        switch (round % 3) {
        case 0: f.store.release("acc", claim.epoch); break;
        case 1: version = *f.store.save("acc", credentials("acc", "n"), version); break;
        default: version = f.store.replace("acc", credentials("acc", "r")); break;
        }
    }
    CHECK(last == 6);
}

TEST_CASE("postgres: of 8 threads claiming at once, exactly one is granted", "[postgres][lease]") {
    PostgresStoreOptions options;
    options.pool_size = 8;
    Fixture f("threads", options);
    f.store.insert("acc", credentials("acc", "one"));
    // Warm the pool, so that the claims meet at the server rather than in connecting.
    {
        std::vector<std::thread> warm;
        std::latch ready(8);
        for (int i = 0; i < 8; ++i) warm.emplace_back([&] { ready.arrive_and_wait(); f.store.load("acc"); });
        for (auto& t : warm) t.join();
    }
    std::latch start(8);
    std::vector<LeaseClaim> claims(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            claims[i] = f.store.claim("acc", 1, "owner-" + std::to_string(i), milliseconds(30000));
        });
    }
    for (auto& t : threads) t.join();
    int granted = 0;
    for (const auto& claim : claims) {
        if (claim.status == Status::granted) {
            ++granted;
            CHECK(claim.epoch == 1);
        } else {
            // As the claim read the row after the winner's commit: the winner's lease.
            CHECK(claim.status == Status::held);
            CHECK(claim.remaining > milliseconds(20000));
        }
    }
    CHECK(granted == 1);
}

TEST_CASE("postgres: of two processes claiming at once, exactly one is granted, and the child leaves the "
          "parent's connections alone",
          "[postgres][lease][fork]") {
    Fixture f("fork");
    AdminConnection admin(f.url);
    // Named sessions, so that the server can tell this store's from every other test's.
    PostgresTokenStore store(f.url + "?application_name=" + f.table, Fixture::with_table({}, f.table));
    store.insert("acc", credentials("acc", "one"));
    REQUIRE(store.load("acc").has_value());  // the pool now holds an open connection
    const std::string sessions_sql =
        "SELECT pid::text FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid";
    const auto sessions_before = admin.query(sessions_sql, {f.table});
    REQUIRE_FALSE(sessions_before.empty());

    // go: the parent lets the child claim; back: the child's result; done: the child may exit.
    int go[2], back[2], done[2];
    REQUIRE((::pipe(go) == 0 && ::pipe(back) == 0 && ::pipe(done) == 0));
    const pid_t child = fork_flushed();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(go[1]), ::close(back[0]), ::close(done[1]);
        char code = 10;
        if (::read(go[0], &code, 1) == 1) {
            try {
                const LeaseClaim claim = store.claim("acc", 1, "child", milliseconds(30000));
                code = claim.status == Status::granted ? 0 : claim.status == Status::held ? 1 : 2;
            } catch (...) {
                code = 3;
            }
        }
        if (::write(back[1], &code, 1) == 1) (void)::read(done[0], &code, 1);
        ::_exit(0);
    }
    ::close(go[0]), ::close(back[1]), ::close(done[0]);
    REQUIRE(::write(go[1], "x", 1) == 1);
    const LeaseClaim parent = store.claim("acc", 1, "parent", milliseconds(30000));
    char child_code = 10;
    REQUIRE(::read(back[0], &child_code, 1) == 1);
    // While the child lives, its session is one the parent did not have: it opened its own.
    const auto sessions_with_child = admin.query(sessions_sql, {f.table});
    ::close(done[1]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    ::close(go[1]), ::close(back[0]);
    CHECK(std::any_of(sessions_with_child.begin(), sessions_with_child.end(), [&](const std::string& pid) {
        return std::find(sessions_before.begin(), sessions_before.end(), pid) == sessions_before.end();
    }));
    REQUIRE(child_code <= 1);
    const bool child_granted = child_code == 0;
    const bool parent_granted = parent.status == Status::granted;
    CHECK(child_granted != parent_granted);
    if (!parent_granted) CHECK(parent.status == Status::held);

    // The child's own session ends with it; once it has, every session the parent had before
    // the fork must still be there (a child that closed them would have sent a Terminate on
    // the parent's sockets, ahead of anything of its own).
    const auto deadline = Clock::now() + testing::sync_timeout;
    auto sessions_after = admin.query(sessions_sql, {f.table});
    while (sessions_after.size() > sessions_before.size() + 1 && Clock::now() < deadline) {
        sessions_after = admin.query(sessions_sql, {f.table});  // the parent's claim may have opened one more
    }
    for (const auto& pid : sessions_before) {
        CAPTURE(pid);
        CHECK(std::find(sessions_after.begin(), sessions_after.end(), pid) != sessions_after.end());
    }
    CHECK(store.load("acc")->version == 1);
}

// ---------------------------------------------------------------------------------------------
// Waiting for a change

TEST_CASE("postgres: a waiter is woken by another store's save, well before its timeout", "[postgres][wait]") {
    PostgresStoreOptions slow_poll;
    slow_poll.poll_interval = milliseconds(60000);  // only a notification can end the wait early
    Fixture f("wake", slow_poll);
    PostgresTokenStore writer = f.other();
    f.store.insert("acc", credentials("acc", "one"));
    // The first wait connects the listener; notifications before that are not heard, so it
    // returns at once ("may have changed") and the caller re-reads.
    const auto connect_started = Clock::now();
    CHECK(f.store.wait_for_change("acc", 1, milliseconds(20000)));
    CHECK(Clock::now() - connect_started < std::chrono::seconds(10));

    testing::Counter waiting;
    std::atomic<bool> returned{false};
    Clock::duration waited{};
    std::thread waiter([&] {
        waiting.arrive();
        const auto started = Clock::now();
        f.store.wait_for_change("acc", 1, milliseconds(20000));
        waited = Clock::now() - started;
        returned = true;
    });
    REQUIRE(waiting.wait_for(1));
    REQUIRE(writer.save("acc", credentials("acc", "two"), 1) == std::uint64_t{2});
    waiter.join();
    CHECK(returned);
    CHECK(waited < std::chrono::seconds(10));
}

TEST_CASE("postgres: waiters on one store hear their own account, and the others wait out their timeout",
          "[postgres][wait]") {
    PostgresStoreOptions slow_poll;
    slow_poll.poll_interval = milliseconds(60000);
    Fixture f("waiters", slow_poll);
    PostgresTokenStore writer = f.other();
    f.store.insert("acc_x", credentials("acc_x", "x"));
    f.store.insert("acc_y", credentials("acc_y", "y"));
    f.store.wait_for_change("acc_x", 1, milliseconds(20000));  // connects the listener

    constexpr milliseconds y_timeout{1500};
    testing::Counter started;
    std::vector<Clock::duration> x_waits(3), y_waits(3);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&, i] {
            started.arrive();
            const auto t0 = Clock::now();
            f.store.wait_for_change("acc_x", 1, milliseconds(20000));
            x_waits[i] = Clock::now() - t0;
        });
        threads.emplace_back([&, i] {
            started.arrive();
            const auto t0 = Clock::now();
            f.store.wait_for_change("acc_y", 1, y_timeout);
            y_waits[i] = Clock::now() - t0;
        });
    }
    REQUIRE(started.wait_for(6));
    // A lease that ends is news too (its waiters may claim now): release notifies.
    const LeaseClaim granted = writer.claim("acc_x", 1, "owner", milliseconds(30000));
    REQUIRE(granted.status == Status::granted);
    writer.release("acc_x", granted.epoch);
    for (auto& t : threads) t.join();
    for (const auto& d : x_waits) CHECK(d < std::chrono::seconds(10));
    for (const auto& d : y_waits) CHECK(d >= y_timeout);
}

TEST_CASE("postgres: with nothing changing, a wait returns by its timeout", "[postgres][wait]") {
    PostgresStoreOptions slow_poll;
    slow_poll.poll_interval = milliseconds(60000);
    Fixture f("timeout", slow_poll);
    f.store.insert("acc", credentials("acc", "one"));
    f.store.wait_for_change("acc", 1, milliseconds(20000));  // connects the listener
    const auto started = Clock::now();
    CHECK(f.store.wait_for_change("acc", 1, milliseconds(300)));
    const auto waited = Clock::now() - started;
    CHECK(waited >= milliseconds(300));
    CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("postgres: a wait is cut to the poll interval (and its jitter)", "[postgres][wait]") {
    PostgresStoreOptions fast_poll;
    fast_poll.poll_interval = milliseconds(100);
    Fixture f("poll", fast_poll);
    f.store.insert("acc", credentials("acc", "one"));
    f.store.wait_for_change("acc", 1, milliseconds(20000));  // connects the listener
    const auto started = Clock::now();
    f.store.wait_for_change("acc", 1, milliseconds(20000));
    const auto waited = Clock::now() - started;
    CHECK(waited >= milliseconds(100));
    CHECK(waited < std::chrono::seconds(5));
}

// ---------------------------------------------------------------------------------------------
// Failures

TEST_CASE("postgres: a corrupt row is a StoreError that names the account, not the stored text", "[postgres]") {
    Fixture f("corrupt");
    f.store.insert("acc", credentials("acc", "one"));
    AdminConnection admin(f.url);
    for (const std::string stored : {"not json at all tok-SECRET-123", "{\"format\": 1, \"access_token\": 5, "
                                                                       "\"refresh_token\": \"tok-SECRET-123\"}"}) {
        CAPTURE(stored);
        admin.query("UPDATE \"" + f.table + "\" SET credentials = $1 WHERE account = 'acc'", {stored});
        const auto load = thrown_by<StoreError>([&] { f.store.load("acc"); });
        const std::string message = load.what();
        CHECK(message.find("corrupt") != std::string::npos);
        CHECK(message.find("acc") != std::string::npos);
        CHECK(message.find("load") != std::string::npos);
        CHECK(message.find("tok-SECRET-123") == std::string::npos);
        const auto claim = thrown_by<StoreError>([&] { f.store.claim("acc", 1, "owner", milliseconds(30000)); });
        CHECK(std::string(claim.what()).find("tok-SECRET-123") == std::string::npos);
    }
    // replace and remove still work: they are the way out.
    CHECK(f.store.replace("acc", credentials("acc", "fresh")) == 2);
    CHECK(f.store.load("acc")->credentials == credentials("acc", "fresh"));
}

TEST_CASE("postgres: a restarted server costs the calls during the outage, not the ones after", "[postgres][restart]") {
    PrivateServer server;
    PostgresStoreOptions options;
    options.statement_timeout = milliseconds(3000);
    options.poll_interval = milliseconds(60000);
    PostgresTokenStore store(server.url(), options);
    PostgresTokenStore writer(server.url(), options);
    REQUIRE(store.insert("acc", credentials("acc", "one")) == std::uint64_t{1});
    store.wait_for_change("acc", 1, milliseconds(20000));  // the listener is connected too

    server.restart();
    // The pooled connection died with the old server; writes (which must not be sent twice)
    // go through as well as reads, since a dead idle connection is found before use.
    CHECK(store.save("acc", credentials("acc", "two"), 1) == std::uint64_t{2});
    CHECK(store.load("acc")->version == 2);

    server.halt();
    const auto load = thrown_by<StoreError>([&] { store.load("acc"); });
    CHECK(std::string(load.what()).find("load") != std::string::npos);
    CHECK_THROWS_AS(store.save("acc", credentials("acc", "three"), 2), StoreError);
    CHECK_THROWS_AS(store.claim("acc", 2, "owner", milliseconds(30000)), StoreError);
    const auto started = Clock::now();
    CHECK(store.wait_for_change("acc", 2, milliseconds(200)));  // nothing to listen to: the timeout
    CHECK(Clock::now() - started < std::chrono::seconds(5));

    server.start();
    CHECK(store.load("acc")->version == 2);
    CHECK(store.claim("acc", 2, "owner", milliseconds(30000)).status == Status::granted);
    // The listener reconnects too, and hears again. Until it is back (it pauses 1 s after a
    // failure) waits end by their timeout, and the wait that reconnects it returns at once: so
    // two quick wakes in a row, the second with the listener surely connected, prove it hears.
    const auto deadline = Clock::now() + testing::sync_timeout;
    std::uint64_t version = 2;
    int quick_in_a_row = 0;
    while (quick_in_a_row < 2 && Clock::now() < deadline) {
        version = *writer.save("acc", credentials("acc", "n"), version);
        const auto t0 = Clock::now();
        store.wait_for_change("acc", version - 1, milliseconds(3000));
        quick_in_a_row = Clock::now() - t0 < milliseconds(2000) ? quick_in_a_row + 1 : 0;
    }
    CHECK(quick_in_a_row == 2);
}

TEST_CASE("postgres: a connection string libpq cannot read is a StoreError without its password", "[postgres]") {
    const auto error = thrown_by<StoreError>(
        [] { PostgresTokenStore("postgresql://user:hunter2-%zz-secret@127.0.0.1:1/db"); });
    const std::string message = error.what();
    CHECK(message.find("hunter2") == std::string::npos);
    CHECK(message.find("invalid connection string") != std::string::npos);

    const auto keyword = thrown_by<StoreError>([] { PostgresTokenStore("host=127.0.0.1 password=hunter2-secret bogus"); });
    CHECK(std::string(keyword.what()).find("hunter2") == std::string::npos);
}

TEST_CASE("postgres: every form of a password in a connection string is scrubbed from messages", "[postgres]") {
    using detail::pg::ConninfoSecrets;
    // libpq's user information ends at the first '@'; a person may mean the last one.
    CHECK(ConninfoSecrets("postgresql://u:s3cr%40t-pass@h/db").scrub("a s3cr%40t-pass b s3cr@t-pass c") ==
          "a **** b **** c");
    CHECK(ConninfoSecrets("postgres://u:first@part@h/db").scrub("first@part and first") == "**** and ****");
    CHECK(ConninfoSecrets("postgresql://h/db?user=u&password=query-pass&sslpassword=key-pass")
              .scrub("query-pass key-pass") == "**** ****");
    CHECK(ConninfoSecrets("host=h password='it\\'s quoted' dbname=d").scrub("it's quoted") == "****");
    CHECK(ConninfoSecrets("host=h password = plain-pass dbname=d").scrub("[plain-pass]") == "[****]");
    CHECK(ConninfoSecrets("host=h dbname=d").scrub("nothing to hide") == "nothing to hide");
    // Too short to cut out of a sentence: the sentence goes.
    const std::string withheld = ConninfoSecrets("postgresql://u:ab@h/db").scrub("connection to ab failed");
    CHECK(withheld.find("ab") == std::string::npos);
    CHECK(withheld.find("withheld") != std::string::npos);
    CHECK(ConninfoSecrets("postgresql://u:ab@h/db").scrub("no match here") == "no match here");
}

TEST_CASE("postgres: an unreachable server is a StoreError naming the operation, without the password",
          "[postgres]") {
    PostgresStoreOptions options;
    options.statement_timeout = milliseconds(500);
    const LocalPort closed(false);
    const std::string refused = "postgresql://user:hunter2-secret@127.0.0.1:" + closed.port() + "/db";
    // libpq quotes a bad sslmode, and the URI with it in another of its messages.
    const std::string bad_parameter = "postgresql://user:hunter2-secret@127.0.0.1:1/db?sslmode=hunter2-secret";
    // Accepts the connection and never answers: the connect deadline (statement_timeout) ends it.
    const LocalPort mute(true);
    const std::string silent = "postgresql://user:hunter2-secret@127.0.0.1:" + mute.port() + "/db";
    for (const std::string& url : {refused, bad_parameter, silent}) {
        CAPTURE(url.substr(url.find('@')));
        PostgresTokenStore store(url, options);
        const auto started = Clock::now();
        const auto error = thrown_by<StoreError>([&] { store.load("acc"); });
        const std::string message = error.what();
        CHECK(Clock::now() - started < std::chrono::seconds(10));
        CHECK(message.find("hunter2") == std::string::npos);
        CHECK(message.find("cannot connect") != std::string::npos);
        CHECK(message.find("PostgreSQL token store") != std::string::npos);
        if (&url == &silent) CHECK(message.find("no answer within 500 ms") != std::string::npos);
        CHECK_THROWS_AS(store.claim("acc", 1, "owner", milliseconds(1000)), StoreError);
    }
}

TEST_CASE("postgres: bad options are ConfigurationErrors", "[postgres]") {
    const auto table_named = [](std::string table) {
        PostgresStoreOptions options;
        options.table = std::move(table);
        return options;
    };
    for (const std::string& bad : std::vector<std::string>{"", "1abc", "x; DROP TABLE y", "with space", "quo\"te", std::string(64, 'a')}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(PostgresTokenStore("postgresql://127.0.0.1:1/db", table_named(bad)), ConfigurationError);
    }
    CHECK_NOTHROW(PostgresTokenStore("postgresql://127.0.0.1:1/db", table_named(std::string(63, 'a'))));
    PostgresStoreOptions no_pool;
    no_pool.pool_size = 0;
    CHECK_THROWS_AS(PostgresTokenStore("postgresql://127.0.0.1:1/db", no_pool), ConfigurationError);
    PostgresStoreOptions no_timeout;
    no_timeout.statement_timeout = milliseconds(0);
    CHECK_THROWS_AS(PostgresTokenStore("postgresql://127.0.0.1:1/db", no_timeout), ConfigurationError);
}

TEST_CASE("postgres: create_schema is idempotent and safe for many creators at once", "[postgres][schema]") {
    PostgresStoreOptions manual;
    manual.create_schema = false;
    Fixture f("schema", manual);
    // Without a schema, and not allowed to make one: the table's absence is the error.
    const auto missing = thrown_by<StoreError>([&] { f.store.load("acc"); });
    CHECK(std::string(missing.what()).find("does not exist") != std::string::npos);

    constexpr int creators = 8;
    std::latch start(creators);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < creators; ++i) {
        threads.emplace_back([&] {
            PostgresTokenStore store = f.other(manual);
            start.arrive_and_wait();
            try {
                store.create_schema();
            } catch (const StoreError& e) {
                std::cerr << e.what() << '\n';
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK_NOTHROW(f.store.create_schema());
    CHECK(f.store.insert("acc", credentials("acc", "one")) == std::uint64_t{1});
    AdminConnection admin(f.url);
    CHECK(admin.query("SELECT count(*)::text FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal",
                      {"\"" + f.table + "\""}) == std::vector<std::string>{"1"});
}

TEST_CASE("postgres: a statement blocked by another session's lock fails within the statement timeout",
          "[postgres]") {
    PostgresStoreOptions options;
    options.statement_timeout = milliseconds(300);
    Fixture f("locked", options);
    f.store.insert("acc", credentials("acc", "one"));
    AdminConnection holder(f.url);
    holder.query("BEGIN");
    holder.query("SELECT account FROM \"" + f.table + "\" WHERE account = 'acc' FOR UPDATE");

    const auto started = Clock::now();
    const auto error = thrown_by<StoreError>([&] { f.store.save("acc", credentials("acc", "two"), 1); });
    const auto waited = Clock::now() - started;
    CHECK(waited >= milliseconds(250));
    CHECK(waited < std::chrono::seconds(5));
    CHECK(std::string(error.what()).find("statement timeout") != std::string::npos);
    CHECK(std::string(error.what()).find("save") != std::string::npos);
    CHECK_THROWS_AS(f.store.claim("acc", 1, "owner", milliseconds(30000)), StoreError);

    holder.query("ROLLBACK");
    CHECK(f.store.save("acc", credentials("acc", "two"), 1) == std::uint64_t{2});
}

TEST_CASE("postgres: the deadline of the call a store method serves bounds its statement", "[postgres]") {
    PostgresStoreOptions options;
    options.statement_timeout = milliseconds(60000);
    Fixture f("call_deadline", options);
    f.store.insert("acc", credentials("acc", "one"));
    AdminConnection holder(f.url);
    holder.query("BEGIN");
    holder.query("SELECT account FROM \"" + f.table + "\" WHERE account = 'acc' FOR UPDATE");

    const auto error = thrown_by<StoreError>([&] {
        const calbridge::detail::StoreCallDeadline deadline(Clock::now() + milliseconds(300));
        f.store.save("acc", credentials("acc", "two"), 1);
    });
    CHECK(std::string(error.what()).find("deadline of the call") != std::string::npos);
    CHECK(std::string(error.what()).find("may or may not have taken effect") != std::string::npos);

    // The abandoned statement may still run on the server once the lock goes: whichever of it
    // and a second try runs first wins, and the compare-and-swap makes the other a no-op.
    holder.query("ROLLBACK");
    f.store.save("acc", credentials("acc", "two"), 1);
    const auto stored = f.store.load("acc");
    REQUIRE(stored);
    CHECK(stored->version == 2);
    CHECK(stored->credentials.access_token.reveal() == "two");
}
