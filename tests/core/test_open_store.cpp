// open_token_store: every scheme opens its store, and a bad name is a ConfigurationError that
// never repeats more of the name than its scheme (a PostgreSQL URI may carry a password).
#include "support/catch.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/open_store.hpp>
#include <calbridge/sqlite_store.hpp>

#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace calbridge;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "calbridge-open-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

Credentials credentials() {
    Credentials c;
    c.access_token = Secret(std::string("access-token-abcdefghijklmnop"));
    c.refresh_token = Secret(std::string("refresh-token-abcdefghijklmnop"));
    c.account_id = "acc_1";
    return c;
}

// The message of the ConfigurationError `name` gives.
std::string configuration_error(std::string_view name) {
    try {
        (void)open_token_store(name);
    } catch (const ConfigurationError& e) {
        return e.what();
    }
    FAIL("no ConfigurationError for a bad name");
    return {};
}

}  // namespace

TEST_CASE("open_token_store: memory: is a store of this process, one per name opened") {
    auto a = open_token_store("memory:");
    auto b = open_token_store("MEMORY:");
    REQUIRE(dynamic_cast<MemoryTokenStore*>(a.get()) != nullptr);
    CHECK(a->refresh_leases() == nullptr);
    REQUIRE(a->insert("acc_1", credentials()) == 1u);
    CHECK_FALSE(b->load("acc_1").has_value());
}

TEST_CASE("open_token_store: file:DIR is a file store in DIR, a relative DIR from the current directory") {
    TempDir dir;
    auto store = open_token_store("file:" + (dir.path() / "tokens").string());
    auto* file = dynamic_cast<FileTokenStore*>(store.get());
    REQUIRE(file != nullptr);
    CHECK(file->directory() == dir.path() / "tokens");
    CHECK(store->refresh_leases() != nullptr);

    const auto before = fs::current_path();
    fs::current_path(dir.path());
    auto relative = open_token_store("file:relative");
    fs::current_path(before);
    auto* relative_file = dynamic_cast<FileTokenStore*>(relative.get());
    REQUIRE(relative_file != nullptr);
    CHECK(relative_file->directory() == fs::canonical(dir.path()) / "relative");
}

TEST_CASE("open_token_store: sqlite:PATH is a SQLite store in PATH") {
    TempDir dir;
    const auto path = dir.path() / "credentials.db";
    auto store = open_token_store("sqlite:" + path.string());
    auto* sqlite = dynamic_cast<SqliteTokenStore*>(store.get());
    REQUIRE(sqlite != nullptr);
    CHECK(sqlite->file() == path);
    CHECK(store->refresh_leases() != nullptr);
    REQUIRE(store->insert("acc_1", credentials()) == 1u);
    // Another store on the same file (as in another process) sees the row.
    auto again = open_token_store("sqlite:" + path.string());
    auto loaded = again->load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1u);
}

TEST_CASE("open_token_store: a name without a known scheme is a ConfigurationError naming the scheme only") {
    CHECK_THAT(configuration_error("bogus:whatever"), Catch::Contains("\"bogus:\"") && !Catch::Contains("whatever"));
    CHECK_THAT(configuration_error("redis://user:hunter2@host"),
               Catch::Contains("\"redis:\"") && !Catch::Contains("hunter2"));
    // Without a colon, or with something that is no scheme before it: nothing is repeated.
    CHECK_THAT(configuration_error("hunter2-the-password"), !Catch::Contains("hunter2"));
    CHECK_THAT(configuration_error("user hunter2:x"), !Catch::Contains("hunter2"));
    CHECK_THAT(configuration_error(""), Catch::Contains("memory:"));
}

TEST_CASE("open_token_store: a scheme without what it needs is a ConfigurationError") {
    CHECK_THAT(configuration_error("memory:extra"), Catch::Contains("nothing after the colon"));
    CHECK_THAT(configuration_error("file:"), Catch::Contains("needs a path"));
    CHECK_THAT(configuration_error("sqlite:"), Catch::Contains("needs a path"));
    CHECK_THAT(configuration_error("postgresql:user:hunter2@host/db"),
               Catch::Contains("postgresql://") && !Catch::Contains("hunter2"));
}

TEST_CASE("open_token_store: a PostgreSQL server that cannot be reached is a StoreError without the password") {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const std::string name = "postgresql://calbridge:hunter2-secret@127.0.0.1:1/calbridge?connect_timeout=2";
    try {
        // The store may connect when opened or on its first statement.
        open_token_store(name)->load("acc_1");
        FAIL("a PostgreSQL store worked with nothing listening");
    } catch (const StoreError& e) {
        CHECK_THAT(std::string(e.what()), !Catch::Contains("hunter2"));
    }
}
