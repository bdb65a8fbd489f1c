#include "tls_test_server.hpp"

#include <calbridge/errors.hpp>

#include <boost/json.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace calbridge::test {

namespace json = boost::json;

TlsTestServer& TlsTestServer::get() {
    static TlsTestServer server;
    return server;
}

TlsTestServer::TlsTestServer() {
    int in[2];
    int out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    ::setenv("CALBRIDGE_OPENSSL", CALBRIDGE_TEST_OPENSSL, 1);
    std::string python = CALBRIDGE_TEST_PYTHON;
    std::string script = CALBRIDGE_TLS_TEST_SERVER;
    std::string no_site = "-S";  // no site-packages: faster start, standard library only
    std::string cache_flag = "--cert-cache";
    std::string cache = CALBRIDGE_TLS_TEST_CERT_CACHE;
    std::vector<char*> argv{python.data(), no_site.data(), script.data(), cache_flag.data(), cache.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) throw std::runtime_error("cannot start the TLS test server");
    pid_ = pid;
    stdin_fd_ = in[1];

    std::string line;
    char ch = 0;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    ::close(out[0]);
    if (line.empty()) throw std::runtime_error("the TLS test server did not start");
    const json::object doc = json::parse(line).as_object();
    ports_json_ = json::serialize(doc.at("ports"));
    ca_file_ = json::value_to<std::string>(doc.at("ca"));
    other_ca_file_ = json::value_to<std::string>(doc.at("other_ca"));
}

TlsTestServer::~TlsTestServer() {
    if (pid_ > 0) {
        ::close(stdin_fd_);
        ::kill(pid_, SIGTERM);
        // A test run must never hang on its helper: give it 5 s to clean up, then kill it.
        int status = 0;
        for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) ::usleep(50'000);
        if (::waitpid(pid_, &status, WNOHANG) == 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
    }
}

std::uint16_t TlsTestServer::port(const std::string& listener) const {
    const json::object ports = json::parse(ports_json_).as_object();
    const auto* p = ports.if_contains(listener);
    return p == nullptr ? 0 : static_cast<std::uint16_t>(p->as_int64());
}

std::string TlsTestServer::url(const std::string& listener, const std::string& path, const std::string& host) const {
    const std::string scheme = listener == "plain" ? "http://" : "https://";
    return scheme + host + ":" + std::to_string(port(listener)) + path;
}

std::int64_t TlsTestServer::stat(const std::string& name) const {
    static const auto transport = make_http_transport(test_options());
    return json_int(test::get(*transport, url("good", "/stats")).body, name);
}

std::int64_t TlsTestServer::hits(const std::string& key) const {
    static const auto transport = make_http_transport(test_options());
    return json_int(test::get(*transport, url("good", "/hits?key=" + key)).body, "hits");
}

void TlsTestServer::wait_for_hit(const std::string& key, std::int64_t n) const {
    static const auto transport = make_http_transport(test_options());
    const auto target = url("good", "/hits?key=" + key + "&at_least=" + std::to_string(n) + "&wait_ms=10000");
    (void)test::get(*transport, target, std::chrono::seconds(20));
}

HttpTransportOptions test_options() {
    HttpTransportOptions options;
    options.tls.source = TlsTrust::Source::ca_file;
    options.tls.ca_file = TlsTestServer::get().ca_file();
    options.use_proxy_env = false;
    return options;
}

CallContext within(std::chrono::milliseconds budget) {
    CallContext ctx;
    ctx.deadline = std::chrono::steady_clock::now() + budget;
    return ctx;
}

HttpResponse get(Transport& transport, const std::string& url, std::chrono::milliseconds budget) {
    HttpRequest req;
    req.method = "GET";
    req.url = url;
    return transport.send(req, within(budget));
}

HttpResponse post(Transport& transport, const std::string& url, const std::string& body,
                  std::chrono::milliseconds budget) {
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = body;
    return transport.send(req, within(budget));
}

std::string json_string(const std::string& text, const std::string& key) {
    return json::value_to<std::string>(json::parse(text).as_object().at(key));
}

std::int64_t json_int(const std::string& text, const std::string& key) {
    return json::parse(text).as_object().at(key).as_int64();
}

std::string echoed_header(const std::string& text, const std::string& name) {
    const auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    const json::value doc = json::parse(text);
    for (const auto& pair : doc.as_object().at("headers").as_array()) {
        const auto& kv = pair.as_array();
        if (lower(json::value_to<std::string>(kv.at(0))) == lower(name)) return json::value_to<std::string>(kv.at(1));
    }
    return {};
}

}  // namespace calbridge::test
