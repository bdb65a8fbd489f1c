#include "sandbox_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace calbridge::test {

namespace fs = std::filesystem;

namespace {

std::string sandbox_binary() {
    if (const char* env = std::getenv("CALBRIDGE_SANDBOX"); env != nullptr && *env != '\0') return env;
    return CALBRIDGE_SANDBOX_BINARY;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

SandboxProcess::SandboxProcess(const std::vector<std::string>& extra_args) {
    std::string pattern = (fs::temp_directory_path() / "calbridge-e2e-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    const std::string log_file = dir_ + "/sandbox.log";

    // The sandbox writes its ready JSON to a pipe (--ready-fd) and closes it: end-of-file says
    // it serves, or that it exited first. Both ends are close-on-exec here; the child gets the
    // write end as a descriptor of its own without that flag.
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    const int read_end = pipe_fds[0];
    const int write_end = pipe_fds[1];
    const int child_fd = std::max(read_end, write_end) + 1;

    std::vector<std::string> args = {sandbox_binary(), "--port", "0", "--ready-fd", std::to_string(child_fd),
                                     "--ca-file", dir_ + "/ca.pem"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end, child_fd);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(write_end);
    if (rc != 0) {
        ::close(read_end);
        throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
    }

    std::string ready;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{read_end, POLLIN, 0};
        const int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(read_end);
            stop();
            throw std::runtime_error("calbridge-sandbox was not ready in 60 s:\n" + log());
        }
        char buffer[4096];
        const ssize_t got = ::read(read_end, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;  // end-of-file (or an error: treated alike)
        ready.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(read_end);
    if (ready.empty()) {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        throw std::runtime_error("calbridge-sandbox exited at start:\n" + log());
    }
    const auto v = boost::json::parse(ready).as_object();
    api_url = std::string(v.at("api_url").as_string());
    app_url = std::string(v.at("app_url").as_string());
    ca_file = std::string(v.at("ca_file").as_string());
    admin_token = std::string(v.at("admin_token").as_string());
    client_id = std::string(v.at("client_id").as_string());
    client_secret = std::string(v.at("client_secret").as_string());
}

SandboxProcess::~SandboxProcess() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

int SandboxProcess::stop() {
    if (pid_ <= 0) return 0;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string SandboxProcess::log() const { return read_file(dir_ + "/sandbox.log"); }

HttpResponse send(Transport& transport, const std::string& method, const std::string& url,
                  std::vector<HttpHeader> headers, std::string body) {
    HttpRequest request;
    request.method = method;
    request.url = url;
    request.headers = std::move(headers);
    request.body = std::move(body);
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    return transport.send(request, ctx);
}

HttpResponse admin(Transport& transport, const SandboxProcess& sandbox, const std::string& method,
                   const std::string& path, const std::string& json_body) {
    std::vector<HttpHeader> headers = {{"Authorization", "Bearer " + sandbox.admin_token}};
    if (!json_body.empty()) headers.push_back({"Content-Type", "application/json"});
    return send(transport, method, sandbox.api_url + path, std::move(headers), json_body);
}

}  // namespace calbridge::test
