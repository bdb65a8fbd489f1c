#include "sandbox_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
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
    const std::string ready = dir_ + "/ready.json";
    const std::string log_file = dir_ + "/sandbox.log";

    std::vector<std::string> args = {sandbox_binary(), "--port", "0", "--ready-file", ready, "--ca-file",
                                     dir_ + "/ca.pem"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(ready)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("calbridge-sandbox exited at start:\n" + log());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            stop();
            throw std::runtime_error("calbridge-sandbox wrote no ready file in 60 s:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto v = boost::json::parse(read_file(ready)).as_object();
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
