// Token stores: the TokenStore contract, run against every store, then what only the file store
// promises (durability, modes, crash safety, hostile keys, serialised writers, the lease in its
// file). The refresh lease contract is in test_store_leases.cpp, the SQLite store's own
// promises in test_sqlite_store.cpp.
#include "support/catch.hpp"
#include "support/thrown_by.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/sqlite_store.hpp>
#include <calbridge/store.hpp>

#include "store/file_store_hooks.hpp"
#include "store_fixtures.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <latch>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace calbridge;
using namespace calbridge::testing;
namespace fs = std::filesystem;

namespace {

// Sets the file store's pre-rename hook for one test.
class ScopedRenameHook {
public:
    explicit ScopedRenameHook(std::function<void(const fs::path&)> hook) {
        detail::file_store_before_rename = std::move(hook);
    }
    ScopedRenameHook(const ScopedRenameHook&) = delete;
    ScopedRenameHook& operator=(const ScopedRenameHook&) = delete;
    ~ScopedRenameHook() { detail::file_store_before_rename = nullptr; }
};


// Adds one to a counter kept in the access token, retrying on conflict until `increments`
// saves have won; returns the versions its wins produced. Used by threads and child processes.
std::vector<std::uint64_t> increment(TokenStore& store, const std::string& account, int increments) {
    std::vector<std::uint64_t> won;
    while (static_cast<int>(won.size()) < increments) {
        const auto current = store.load(account);
        if (!current) throw std::runtime_error("account vanished");
        const int count = std::stoi(current->credentials.access_token.reveal());
        Credentials next = current->credentials;
        next.access_token = Secret(std::to_string(count + 1));
        if (const auto version = store.save(account, next, current->version)) won.push_back(*version);
    }
    return won;
}

struct MemoryStoreFixture {
    MemoryTokenStore store;
};

struct FileStoreFixture {
    TempDir dir;
    FileTokenStore store{dir.path() / "tokens"};
};

struct SqliteStoreFixture {
    TempDir dir;
    SqliteTokenStore store{dir.path() / "tokens.db"};
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The contract every TokenStore keeps.

TEMPLATE_TEST_CASE("loading an account the store never saw gives nothing", "[store]", MemoryStoreFixture,
                   FileStoreFixture, SqliteStoreFixture) {
    TestType fixture;
    CHECK(fixture.store.load("acc_unknown") == std::nullopt);
}

TEMPLATE_TEST_CASE("insert stores version 1 once and refuses an account that exists", "[store]",
                   MemoryStoreFixture, FileStoreFixture,
                   SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;

    CHECK(store.insert("acc_1", credentials("acc_1", "first")) == std::uint64_t{1});
    CHECK(store.insert("acc_1", credentials("acc_1", "second")) == std::nullopt);

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1);
    CHECK(loaded->credentials == credentials("acc_1", "first"));
}

TEMPLATE_TEST_CASE("save writes only over the version it expects (compare-and-swap)", "[store]",
                   MemoryStoreFixture, FileStoreFixture,
                   SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});

    CHECK(store.save("acc_1", credentials("acc_1", "v2"), 1) == std::uint64_t{2});
    CHECK(store.save("acc_1", credentials("acc_1", "stale"), 1) == std::nullopt);
    CHECK(store.save("acc_1", credentials("acc_1", "future"), 3) == std::nullopt);
    CHECK(store.save("acc_1", credentials("acc_1", "v3"), 2) == std::uint64_t{3});

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 3);
    CHECK(loaded->credentials == credentials("acc_1", "v3"));
}

TEMPLATE_TEST_CASE("save to a missing or removed account is a conflict, not a write", "[store]",
                   MemoryStoreFixture, FileStoreFixture,
                   SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;

    CHECK(store.save("acc_1", credentials("acc_1", "x"), 0) == std::nullopt);
    CHECK(store.save("acc_1", credentials("acc_1", "x"), 1) == std::nullopt);
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(store.remove("acc_1"));
    CHECK(store.save("acc_1", credentials("acc_1", "x"), 1) == std::nullopt);
    CHECK(store.load("acc_1") == std::nullopt);
}

TEMPLATE_TEST_CASE("replace writes unconditionally and bumps the version", "[store]", MemoryStoreFixture,
                   FileStoreFixture, SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;

    CHECK(store.replace("acc_1", credentials("acc_1", "a")) == 1);
    CHECK(store.replace("acc_1", credentials("acc_1", "b")) == 2);
    CHECK(store.save("acc_1", credentials("acc_1", "c"), 2) == std::uint64_t{3});
    CHECK(store.replace("acc_1", credentials("acc_1", "d")) == 4);

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 4);
    CHECK(loaded->credentials == credentials("acc_1", "d"));
}

TEMPLATE_TEST_CASE("remove deletes an account and says whether there was one", "[store]", MemoryStoreFixture,
                   FileStoreFixture, SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(store.insert("acc_2", credentials("acc_2", "v1")) == std::uint64_t{1});

    CHECK(store.remove("acc_1"));
    CHECK(store.load("acc_1") == std::nullopt);
    CHECK_FALSE(store.remove("acc_1"));
    CHECK(store.load("acc_2").has_value());
    CHECK(store.insert("acc_1", credentials("acc_1", "again")) == std::uint64_t{1});
}

TEMPLATE_TEST_CASE("accounts have independent versions", "[store]", MemoryStoreFixture, FileStoreFixture,
                   SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;
    REQUIRE(store.replace("acc_1", credentials("acc_1", "a")) == 1);
    REQUIRE(store.replace("acc_1", credentials("acc_1", "b")) == 2);

    CHECK(store.replace("acc_2", credentials("acc_2", "a")) == 1);
    CHECK(store.save("acc_2", credentials("acc_2", "b"), 2) == std::nullopt);
    CHECK(store.load("acc_1")->version == 2);
}

TEMPLATE_TEST_CASE("concurrent compare-and-swap increments lose no update", "[store]", MemoryStoreFixture,
                   FileStoreFixture, SqliteStoreFixture) {
    TestType fixture;
    TokenStore& store = fixture.store;
    REQUIRE(store.insert("acc", credentials("acc", "0")) == std::uint64_t{1});
    constexpr int threads = 4;
    constexpr int increments = 20;

    std::latch start(threads);
    std::vector<std::vector<std::uint64_t>> won(threads);
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            start.arrive_and_wait();  // all threads race from the same moment
            try {
                won[static_cast<std::size_t>(t)] = increment(store, "acc", increments);
            } catch (...) {
                failed = true;
            }
        });
    }
    for (auto& worker : workers) worker.join();

    REQUIRE_FALSE(failed);
    std::vector<std::uint64_t> versions;
    for (const auto& w : won) versions.insert(versions.end(), w.begin(), w.end());
    std::sort(versions.begin(), versions.end());
    std::vector<std::uint64_t> expected(threads * increments);
    std::iota(expected.begin(), expected.end(), std::uint64_t{2});
    CHECK(versions == expected);  // exactly one winner per version
    const auto final_state = store.load("acc");
    REQUIRE(final_state.has_value());
    CHECK(final_state->version == 1 + threads * increments);
    CHECK(final_state->credentials.access_token.reveal() == std::to_string(threads * increments));
}

// ---------------------------------------------------------------------------------------------
// What only the file store promises.

TEST_CASE("a file store reopened on the same directory has the same versions and credentials", "[store]") {
    TempDir dir;
    {
        FileTokenStore store(dir.path());
        REQUIRE(store.insert("acc_1", credentials("acc_1", "a")) == std::uint64_t{1});
        REQUIRE(store.save("acc_1", credentials("acc_1", "b"), 1) == std::uint64_t{2});
    }
    FileTokenStore reopened(dir.path());

    const auto loaded = reopened.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 2);
    CHECK(loaded->credentials == credentials("acc_1", "b"));
    CHECK(reopened.save("acc_1", credentials("acc_1", "c"), 2) == std::uint64_t{3});
}

TEST_CASE("the file store lists the accounts of its credential files in file name order", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path() / "tokens");
    CHECK(store.accounts().empty());  // no directory yet

    REQUIRE(store.insert("acc_2", credentials("acc_2", "a")) == std::uint64_t{1});
    REQUIRE(store.insert("acc_1", credentials("acc_1", "a")) == std::uint64_t{1});
    REQUIRE(store.insert("team/a b", credentials("team/a b", "a")) == std::uint64_t{1});
    Credentials by_sub;
    by_sub.access_token = Secret("a");
    by_sub.sub = "sub_9";
    REQUIRE(store.insert("sub_9", by_sub) == std::uint64_t{1});
    // Not accounts: a corrupt file, a hidden one, another extension.
    std::ofstream(dir.path() / "tokens" / "broken.json") << "not json";
    std::ofstream(dir.path() / "tokens" / ".hidden.json") << "{}";
    std::ofstream(dir.path() / "tokens" / "notes.txt") << "acc_3";

    CHECK(store.accounts() == std::vector<std::string>{"acc_1", "acc_2", "sub_9", "team/a b"});
    REQUIRE(store.remove("acc_2"));
    CHECK(store.accounts() == std::vector<std::string>{"acc_1", "sub_9", "team/a b"});
}

TEST_CASE("the file store creates its directory 0700 and its files 0600", "[store]") {
    TempDir dir;
    const fs::path directory = dir.path() / "nested" / "tokens";
    FileTokenStore store(directory);
    unsigned temp_mode = 0;
    {
        ScopedRenameHook hook([&](const fs::path& temp) { temp_mode = mode_of(temp); });
        REQUIRE(store.insert("acc_1", credentials("acc_1", "a")) == std::uint64_t{1});
    }

    CHECK(mode_of(directory) == 0700u);
    CHECK(mode_of(store.path_for("acc_1")) == 0600u);
    CHECK(mode_of(directory / "acc_1.lock") == 0600u);
    CHECK(temp_mode == 0600u);
    CHECK(names_in(directory) == std::vector<std::string>{"acc_1.json", "acc_1.lock"});
}

TEST_CASE("the file store writes the version and the format-1 credentials", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    Credentials c;
    c.access_token = Secret("a");
    c.account_id = "acc_1";
    REQUIRE(store.replace("acc_1", c) == 1);

    std::ifstream in(store.path_for("acc_1"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == R"({"version":1,"credentials":{"format":1,"token_type":"bearer","access_token":"a",)"
                  R"("refresh_token":"","scope":"","account_id":"acc_1","sub":""}})");
}

TEST_CASE("credentials with the deepest unknown field a reply may carry are stored and read back", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    Credentials c = credentials("acc_1", "a");
    c.extra_json = R"({"deep":)" + std::string(31, '[') + std::string(31, ']') + "}";

    REQUIRE(store.replace("acc_1", c) == 1);
    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->credentials == c);
}

TEST_CASE("a crash between writing and renaming leaves the previous credentials readable", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    REQUIRE(store.insert("acc_1", credentials("acc_1", "before")) == std::uint64_t{1});

    const pid_t child = fork_flushed();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The child dies right where a crash hurts most: new file written, rename not done.
        detail::file_store_before_rename = [](const fs::path&) { ::_exit(42); };
        try {
            FileTokenStore(dir.path()).save("acc_1", credentials("acc_1", "after"), 1);
        } catch (...) {
        }
        ::_exit(1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 42);

    const fs::path leftover = dir.path() / "acc_1.tmp";
    CHECK(fs::file_size(leftover) > 0);  // the crash happened after the write
    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1);
    CHECK(loaded->credentials == credentials("acc_1", "before"));

    // The lock died with the child; the next writer clears the leftover and succeeds.
    CHECK(store.save("acc_1", credentials("acc_1", "after"), 1) == std::uint64_t{2});
    CHECK(store.load("acc_1")->credentials == credentials("acc_1", "after"));
    CHECK_FALSE(fs::exists(leftover));
}

TEST_CASE("a failure before the rename leaves the previous credentials and no temporary file", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    REQUIRE(store.insert("acc_1", credentials("acc_1", "before")) == std::uint64_t{1});
    {
        ScopedRenameHook hook([](const fs::path&) { throw std::runtime_error("disk unplugged"); });
        CHECK_THROWS_WITH(store.save("acc_1", credentials("acc_1", "after"), 1), "disk unplugged");
        CHECK_THROWS_WITH(store.replace("acc_1", credentials("acc_1", "after")), "disk unplugged");
    }

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1);
    CHECK(loaded->credentials == credentials("acc_1", "before"));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"acc_1.json", "acc_1.lock"});
}

TEST_CASE("hostile account keys stay inside the directory and round-trip", "[store]") {
    TempDir dir;
    const fs::path directory = dir.path() / "tokens";
    FileTokenStore store(directory);
    const std::vector<std::string> keys = {
        "../evil", "a/b", ".", "..", "", "/etc/passwd", "a\\b", "%41", "A", "a", "acc_1.json",
        std::string("nul\0byte", 8), "\xD0\xBF\xD0\xBE\xD0\xBB\xD1\x8C@\xE4\xBE\x8B\xE3\x81\x88.jp",
        std::string(300, 'x'), std::string(299, 'x') + "y", std::string(100, '/'),
    };

    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string& key = keys[i];
        CAPTURE(key, i);
        const fs::path file = store.path_for(key);
        CHECK(file.parent_path() == directory);
        CHECK(file.filename() != ".");
        CHECK(file.filename() != "..");
        CHECK(file.filename().string().size() <= 255);
        CHECK(store.insert(key, credentials(key, "token-" + std::to_string(i))) == std::uint64_t{1});
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        CAPTURE(keys[i], i);
        const auto loaded = store.load(keys[i]);
        REQUIRE(loaded.has_value());
        CHECK(loaded->credentials == credentials(keys[i], "token-" + std::to_string(i)));
    }

    CHECK(names_in(dir.path()) == std::vector<std::string>{"tokens"});  // nothing escaped
    CHECK(names_in(directory).size() == 2 * keys.size());             // one file and one lock each
    CHECK(store.path_for("a") != store.path_for("A"));  // distinct on case-insensitive file systems too
    CHECK(store.path_for("acc_5700a00eb0ccd07000000000").filename() == "acc_5700a00eb0ccd07000000000.json");
}

TEST_CASE("a corrupt file is a StoreError naming the file, never its content", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    const std::string secret_content = "SECRET-TOKEN-sl.B0aAbCdEfGhIjKlMnOp";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{" + secret_content, "not valid JSON"},
        {"[\"" + secret_content + "\"]", "not a JSON object"},
        {R"({"credentials":{"access_token":"SECRET-TOKEN"}})", R"("version" is missing)"},
        {R"({"version":0,"credentials":{"access_token":"SECRET"}})", R"("version" is not a positive integer)"},
        {R"({"version":-3,"credentials":{"access_token":"SECRET"}})", R"("version" is not a positive integer)"},
        {R"({"version":1})", R"("credentials" is missing)"},
        {R"({"version":1,"credentials":{"format":1,"access_token":"SECRET-TOKEN","expires_at":"SECRET-TOKEN"}})",
         R"(stored credentials: "expires_at" is not an RFC 3339 time)"},
        {R"({"version":1,"credentials":{"format":2,"access_token":"SECRET"}})", "written by a newer calbridge"},
    };
    // Every operation that reads the file reports it the same way.
    const auto errors_of_readers = [&] {
        const Credentials next = credentials("acc_1", "x");
        return std::vector<StoreError>{
            thrown_by<StoreError>([&] { store.load("acc_1"); }),
            thrown_by<StoreError>([&] { store.save("acc_1", next, 1); }),
            thrown_by<StoreError>([&] { store.replace("acc_1", next); }),
        };
    };
    for (const auto& [content, why] : cases) {
        CAPTURE(content);
        std::ofstream(store.path_for("acc_1"), std::ios::trunc) << content;
        for (const StoreError& e : errors_of_readers()) {
            const std::string message = e.what();
            CHECK(e.code() == ErrorCode::store);
            CHECK(message.rfind("credentials file " + store.path_for("acc_1").string() + " is corrupt: ", 0) == 0);
            CHECK(message.find(why) != std::string::npos);
            CHECK(message.find("SECRET") == std::string::npos);
        }
    }
    // remove() does not read the file, so a corrupt one can always be cleared.
    CHECK(store.remove("acc_1"));
    CHECK(store.insert("acc_1", credentials("acc_1", "fresh")) == std::uint64_t{1});
}

TEST_CASE("a file store on a path that is not a directory is a StoreError", "[store]") {
    TempDir dir;
    const fs::path file = dir.path() / "plain-file";
    std::ofstream(file) << "x";

    CHECK(thrown_by<StoreError>([&] { FileTokenStore store(file); }).code() == ErrorCode::store);
    CHECK(thrown_by<StoreError>([&] { FileTokenStore store(file / "below"); }).code() == ErrorCode::store);
    CHECK(thrown_by<StoreError>([] { FileTokenStore store(""); }).code() == ErrorCode::store);
}

TEST_CASE("two file stores on one directory serialise their writers: no lost update", "[store]") {
    TempDir dir;
    FileTokenStore first(dir.path());
    FileTokenStore second(dir.path());
    REQUIRE(first.insert("acc", credentials("acc", "0")) == std::uint64_t{1});
    constexpr int threads = 4;
    constexpr int increments = 20;

    // Counts writers between "temporary file written" and "renamed": the lock allows one.
    std::atomic<int> inside{0};
    std::atomic<int> most_inside{0};
    ScopedRenameHook hook([&](const fs::path&) {
        const int now = ++inside;
        int seen = most_inside.load();
        while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();  // widen the window another writer would need
        --inside;
    });

    std::latch start(threads);
    std::vector<std::vector<std::uint64_t>> won(threads);
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            FileTokenStore& store = (t % 2 == 0) ? first : second;
            start.arrive_and_wait();
            try {
                won[static_cast<std::size_t>(t)] = increment(store, "acc", increments);
            } catch (...) {
                failed = true;
            }
        });
    }
    for (auto& worker : workers) worker.join();

    REQUIRE_FALSE(failed);
    CHECK(most_inside == 1);
    std::vector<std::uint64_t> versions;
    for (const auto& w : won) versions.insert(versions.end(), w.begin(), w.end());
    std::sort(versions.begin(), versions.end());
    std::vector<std::uint64_t> expected(threads * increments);
    std::iota(expected.begin(), expected.end(), std::uint64_t{2});
    CHECK(versions == expected);
    const auto final_state = second.load("acc");
    REQUIRE(final_state.has_value());
    CHECK(final_state->version == 1 + threads * increments);
    CHECK(final_state->credentials.access_token.reveal() == std::to_string(threads * increments));
}

TEST_CASE("two processes writing one file store lose no update", "[store]") {
    TempDir dir;
    REQUIRE(FileTokenStore(dir.path()).insert("acc", credentials("acc", "0")) == std::uint64_t{1});
    constexpr int children = 2;
    constexpr int increments = 25;

    // The children wait on a pipe so that they start together; closing it is the start signal.
    int gate[2];
    REQUIRE(::pipe(gate) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < children; ++i) {
        const pid_t pid = fork_flushed();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(gate[1]);
            char byte = 0;
            (void)!::read(gate[0], &byte, 1);
            int code = 0;
            try {
                FileTokenStore store(dir.path());
                increment(store, "acc", increments);
            } catch (...) {
                code = 1;
            }
            ::_exit(code);
        }
        pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);
    for (const pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }

    const auto final_state = FileTokenStore(dir.path()).load("acc");
    REQUIRE(final_state.has_value());
    CHECK(final_state->version == 1 + children * increments);
    CHECK(final_state->credentials.access_token.reveal() == std::to_string(children * increments));
}

// ---------------------------------------------------------------------------------------------
// The file store's refresh lease, as its files hold it (the contract is in test_store_leases.cpp).

namespace {

std::string file_text(const fs::path& file) {
    std::ifstream in(file);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Credentials minimal_credentials() {
    Credentials c;
    c.access_token = Secret("a");
    c.account_id = "acc_1";
    return c;
}

const std::string minimal_credentials_json = R"({"format":1,"token_type":"bearer","access_token":"a",)"
                                             R"("refresh_token":"","scope":"","account_id":"acc_1","sub":""})";

}  // namespace

TEST_CASE("the file store keeps the lease and the mark in the account's file, only while set", "[store][lease]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    REQUIRE(store.replace("acc_1", minimal_credentials()) == 1);
    const fs::path file = store.path_for("acc_1");

    const auto before = std::chrono::system_clock::now();
    const LeaseClaim claim = store.claim("acc_1", 1, "host:42:abc", std::chrono::seconds(30));
    REQUIRE(claim.status == LeaseClaim::Status::granted);
    REQUIRE(claim.epoch == 1);
    const std::string leased = file_text(file);
    const std::string prefix = R"({"version":1,"credentials":)" + minimal_credentials_json +
                               R"(,"lease_epoch":1,"lease":{"owner":"host:42:abc","until":)";
    REQUIRE(leased.rfind(prefix, 0) == 0);
    const auto until = std::stoll(leased.substr(prefix.size()));
    const auto expected = std::chrono::duration_cast<std::chrono::milliseconds>(
                              (before + std::chrono::seconds(30)).time_since_epoch())
                              .count();
    CHECK(until >= expected);
    CHECK(until < expected + 60'000);

    store.release("acc_1", claim.epoch);  // the lease goes, its epoch stays
    CHECK(file_text(file) == R"({"version":1,"credentials":)" + minimal_credentials_json + R"(,"lease_epoch":1})");
    REQUIRE(store.mark_reauthorization_required("acc_1", 1));
    CHECK(file_text(file) == R"({"version":1,"credentials":)" + minimal_credentials_json +
                                 R"(,"reauthorization_required":true,"lease_epoch":1})");
    REQUIRE(store.replace("acc_1", minimal_credentials()) == 2);
    CHECK(file_text(file) == R"({"version":2,"credentials":)" + minimal_credentials_json + R"(,"lease_epoch":1})");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"acc_1.json", "acc_1.lock"});
    CHECK(mode_of(file) == 0600u);
}

TEST_CASE("a file written before the lease existed loads unmarked and can be claimed", "[store][lease]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    std::ofstream(store.path_for("acc_1")) << R"({"version":5,"credentials":)" + minimal_credentials_json + "}";

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 5);
    CHECK_FALSE(loaded->reauthorization_required);
    CHECK(loaded->credentials == minimal_credentials());
    const LeaseClaim claim = store.claim("acc_1", 5, "owner-a", std::chrono::seconds(30));
    CHECK(claim.status == LeaseClaim::Status::granted);
    CHECK(claim.epoch == 1);
}

TEST_CASE("a file with malformed lease fields is corrupt for every reader", "[store][lease]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    const std::string head = R"({"version":1,"credentials":)" + minimal_credentials_json;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {head + R"(,"reauthorization_required":"SECRET"})", R"("reauthorization_required" is not a boolean)"},
        {head + R"(,"lease_epoch":-1})", R"("lease_epoch" is not a non-negative integer)"},
        {head + R"(,"lease_epoch":"SECRET"})", R"("lease_epoch" is not a non-negative integer)"},
        {head + R"(,"lease":["SECRET"]})", R"("lease" is not {"owner": string, "until": integer})"},
        {head + R"(,"lease":{"owner":"a"}})", R"("lease" is not {"owner": string, "until": integer})"},
        {head + R"(,"lease":{"owner":7,"until":1}})", R"("lease" is not {"owner": string, "until": integer})"},
        {head + R"(,"lease":{"owner":"a","until":1.5}})", R"("lease" is not {"owner": string, "until": integer})"},
    };
    for (const auto& [content, why] : cases) {
        CAPTURE(content);
        std::ofstream(store.path_for("acc_1"), std::ios::trunc) << content;
        for (const StoreError& e : {thrown_by<StoreError>([&] { store.load("acc_1"); }),
                                    thrown_by<StoreError>([&] { store.claim("acc_1", 1, "o", std::chrono::seconds(1)); }),
                                    thrown_by<StoreError>([&] { store.renew("acc_1", 1, std::chrono::seconds(1)); }),
                                    thrown_by<StoreError>([&] { store.release("acc_1", 1); }),
                                    thrown_by<StoreError>([&] { store.mark_reauthorization_required("acc_1", 1); })}) {
            const std::string message = e.what();
            CHECK(message.rfind("credentials file " + store.path_for("acc_1").string() + " is corrupt: ", 0) == 0);
            CHECK(message.find(why) != std::string::npos);
            CHECK(message.find("SECRET") == std::string::npos);
        }
    }
}

TEST_CASE("a claim whose write fails grants nothing and leaves the file as it was", "[store][lease]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const std::string before = file_text(store.path_for("acc_1"));
    {
        ScopedRenameHook hook([](const fs::path&) { throw std::runtime_error("disk unplugged"); });
        CHECK_THROWS_WITH(store.claim("acc_1", 1, "owner-a", std::chrono::seconds(30)), "disk unplugged");
    }
    CHECK(file_text(store.path_for("acc_1")) == before);
    const LeaseClaim claim = store.claim("acc_1", 1, "owner-b", std::chrono::seconds(30));
    CHECK(claim.status == LeaseClaim::Status::granted);
    CHECK(claim.epoch == 1);
}
