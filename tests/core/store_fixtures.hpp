// What the token store tests share: a temporary directory, sample credentials, file modes, and
// running a piece of a test in a child process.
#pragma once

#include <calbridge/credentials.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <cstdlib>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace calbridge::testing {

// A fresh directory per test, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "calbridge-store-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        // A test may have left parts read-only; give the owner its rights back first.
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path_, ec)) {
            std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                                         std::filesystem::perm_options::add, ec);
        }
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

inline Credentials credentials(const std::string& account, const std::string& access_token) {
    Credentials c;
    c.access_token = Secret(access_token);
    c.refresh_token = Secret("refresh-" + access_token);
    c.account_id = account;
    c.scope = {"read_events"};
    c.expires_at = WallTime{} + std::chrono::hours(24 * 20000);
    return c;
}

inline unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("stat failed: " + path.string());
    return st.st_mode & 07777u;
}

inline std::vector<std::string> names_in(const std::filesystem::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// fork() after flushing, so that a child cannot print the parent's buffered output again.
inline pid_t fork_flushed() {
    std::cout.flush();
    std::fflush(nullptr);
    return ::fork();
}

// Polls `condition` until it holds or `timeout` passes; for states a test can only observe by
// asking (a lease expiring on the store's clock). Returns whether it held.
template <typename Condition>
bool eventually(Condition&& condition, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// Runs `body` in a child process and returns the text it produced, or "child failed: ..." when
// it threw or died. The child never returns into the test framework: it leaves with _exit, so
// nothing of the parent's (Catch2's reporters, atexit handlers) runs twice.
inline std::string in_child(const std::function<std::string()>& body) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork_flushed();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(out[0]);
        std::string text;
        int code = 0;
        try {
            text = body();
        } catch (const std::exception& e) {
            text = std::string("child failed: ") + e.what();
            code = 1;
        } catch (...) {
            text = "child failed: an unknown exception";
            code = 1;
        }
        std::string_view rest = text;
        while (!rest.empty()) {
            const ssize_t n = ::write(out[1], rest.data(), rest.size());
            if (n <= 0) break;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        ::_exit(code);
    }
    ::close(out[1]);
    std::string text;
    char buffer[512];
    while (true) {
        const ssize_t n = ::read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status)) return "child failed: killed by signal " + std::to_string(WTERMSIG(status));
    return text;
}

}  // namespace calbridge::testing
