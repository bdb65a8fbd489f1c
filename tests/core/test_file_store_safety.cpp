// The file store in a directory someone else has been at: a symbolic link or a FIFO planted
// where an account's file or lock goes is refused (never followed, never waited on), and a
// directory others can write to or that belongs to another user is refused up front.
#include "support/catch.hpp"
#include "support/thrown_by.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/store.hpp>

#include "store_fixtures.hpp"

#include <chrono>
#include <fstream>
#include <future>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace calbridge;
using namespace calbridge::testing;
namespace fs = std::filesystem;

namespace {

// Runs `call` on another thread and gives its StoreError message. The deadline proves the call
// does not hang on a FIFO: if it passes, a writer is opened on `fifo` so the stuck open returns
// and the test can fail instead of hanging itself.
template <class Call>
std::string store_error_within_deadline(Call call, const fs::path& fifo) {
    auto result = std::async(std::launch::async, [call]() -> std::string {
        try {
            call();
            return "(no error)";
        } catch (const StoreError& e) {
            return e.what();
        }
    });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        const int unblock = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
        result.wait();
        if (unblock >= 0) ::close(unblock);
        FAIL("the store call blocked on the FIFO");
    }
    return result.get();
}

}  // namespace

TEST_CASE("a symbolic link at an account's file is refused not followed", "[store]") {
    TempDir dir;
    TempDir elsewhere;
    const fs::path target = elsewhere.path() / "planted.json";
    {
        FileTokenStore other(elsewhere.path() / "store");
        REQUIRE(other.insert("acc_1", credentials("acc_1", "planted-token")));
        fs::copy_file(other.path_for("acc_1"), target);
    }
    FileTokenStore store(dir.path());
    fs::create_symlink(target, store.path_for("acc_1"));

    const auto e = thrown_by<StoreError>([&] { store.load("acc_1"); });
    CHECK_THAT(e.what(), Catch::Matchers::Contains("symbolic link"));
    CHECK_THAT(e.what(), !Catch::Matchers::Contains("planted-token"));
    CHECK_THROWS_AS(store.save("acc_1", credentials("acc_1", "new"), 1), StoreError);
}

TEST_CASE("a symbolic link at an account's lock file is refused and its target never created", "[store]") {
    TempDir dir;
    TempDir elsewhere;
    const fs::path target = elsewhere.path() / "created-through-the-link";
    FileTokenStore store(dir.path());
    fs::create_symlink(target, dir.path() / "acc_1.lock");

    const auto e = thrown_by<StoreError>([&] { store.insert("acc_1", credentials("acc_1", "a")); });
    CHECK_THAT(e.what(), Catch::Matchers::Contains("symbolic link"));
    CHECK_FALSE(fs::exists(target));
    CHECK_FALSE(fs::exists(store.path_for("acc_1")));
}

TEST_CASE("a FIFO at an account's file or lock fails at once instead of hanging", "[store]") {
    TempDir dir;
    FileTokenStore store(dir.path());
    const fs::path data = store.path_for("acc_1");
    REQUIRE(::mkfifo(data.c_str(), 0600) == 0);
    const std::string on_data = store_error_within_deadline([&] { store.load("acc_1"); }, data);
    CHECK_THAT(on_data, Catch::Matchers::Contains("not a regular file"));

    const fs::path lock = dir.path() / "acc_2.lock";
    REQUIRE(::mkfifo(lock.c_str(), 0600) == 0);
    const std::string on_lock =
        store_error_within_deadline([&] { store.replace("acc_2", credentials("acc_2", "a")); }, lock);
    CHECK_THAT(on_lock, Catch::Matchers::Contains("not a regular file"));
    CHECK_FALSE(fs::exists(store.path_for("acc_2")));
}

TEST_CASE("a store directory others can write to is refused with the reason", "[store]") {
    TempDir dir;
    const fs::path open_dir = dir.path() / "tokens";
    fs::create_directory(open_dir);
    for (const fs::perms mode : {fs::perms::all, fs::perms::owner_all | fs::perms::group_write}) {
        fs::permissions(open_dir, mode);
        const auto e = thrown_by<StoreError>([&] { FileTokenStore store(open_dir); });
        CHECK_THAT(e.what(), Catch::Matchers::Contains("writable by its group or others"));
        CHECK_THAT(e.what(), Catch::Matchers::Contains(open_dir.string()));
    }
    fs::permissions(open_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    CHECK_NOTHROW(FileTokenStore(open_dir));
}

TEST_CASE("a store directory that belongs to another user is refused", "[store]") {
    if (::geteuid() != 0) {
        WARN("needs root to give a directory away; skipped");
        return;
    }
    TempDir dir;
    const fs::path theirs = dir.path() / "theirs";
    fs::create_directory(theirs);
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    const auto e = thrown_by<StoreError>([&] { FileTokenStore store(theirs); });
    CHECK_THAT(e.what(), Catch::Matchers::Contains("belongs to another user"));
}
