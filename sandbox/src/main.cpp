// calbridge-sandbox: the command line, start-up (config, certificates, listener), the ready
// file or descriptor, and a clean exit on SIGINT/SIGTERM.
#include "config.hpp"
#include "counters.hpp"
#include "crypto.hpp"
#include "json_util.hpp"
#include "model_json.hpp"
#include "ca_dir.hpp"
#include "pki.hpp"
#include "router.hpp"
#include "server.hpp"
#include "state.hpp"

#include <boost/json/serialize.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace calbridge::sandbox;

namespace {

constexpr const char* usage = R"(usage: calbridge-sandbox [options]

A local Individual Connect intermediary: OAuth authorization with a consent page, the token
endpoint, revocation and the calendar API, over HTTPS with a CA it makes at start.

options:
  --port N            port to listen on (default 0: any free port)
  --host HOST         address to listen on (default 127.0.0.1)
  --config FILE       applications, users and settings (JSON; see the README)
  --ready-file FILE   write {api_url, app_url, ca_file, admin_token, ...} here once serving
  --ready-fd N        write the same JSON to the inherited descriptor N once serving, then
                      close it (a pipe's reader sees end-of-file: ready, or exited at start)
  --ca-file FILE      where to write the CA certificate (default: a fresh temporary directory)
  --ca-dir DIR        keep the CA in DIR across restarts (ca-key.pem, mode 0600, and ca.pem):
                      made on the first start, reused after; the CA file is DIR/ca.pem
                      unless --ca-file is given too
  --plain-http        serve plain HTTP instead of HTTPS (debugging only)
  --threads N         I/O threads (default: one per hardware thread)
  --timeout SECONDS   limit for each TLS handshake, read and write (default 30)
  --body-limit BYTES  largest request body outside the admin API (default 1048576)
  --quiet             print only the URL line at start
  --help, --version
)";

struct Options {
    std::uint16_t port = 0;
    std::string host = "127.0.0.1";
    std::optional<std::string> config;
    std::optional<std::string> ready_file;
    std::optional<int> ready_fd;
    std::optional<std::string> ca_file;
    std::optional<std::string> ca_dir;
    bool plain_http = false;
    unsigned threads = 0;
    double timeout = 30;
    std::size_t body_limit = 1024 * 1024;
    bool quiet = false;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "calbridge-sandbox: %s\n(see calbridge-sandbox --help)\n", message.c_str());
    std::exit(2);
}

unsigned long long parse_number(const std::string& flag, const std::string& text, unsigned long long max) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || v > max || text[0] == '-') {
        usage_error(flag + " needs a number from 0 to " + std::to_string(max) + ", not \"" + text + "\"");
    }
    return v;
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage, stdout);
            std::exit(0);
        } else if (arg == "--version") {
            std::printf("calbridge-sandbox %s\n", CALBRIDGE_SANDBOX_VERSION);
            std::exit(0);
        } else if (arg == "--port") {
            o.port = static_cast<std::uint16_t>(parse_number(arg, value(), 65535));
        } else if (arg == "--host") {
            o.host = value();
        } else if (arg == "--config") {
            o.config = value();
        } else if (arg == "--ready-file") {
            o.ready_file = value();
        } else if (arg == "--ready-fd") {
            const int fd = static_cast<int>(parse_number(arg, value(), 1 << 20));
            // Checked now, so a wrong number is a usage error rather than a silent start.
            const int flags = ::fcntl(fd, F_GETFL);
            if (fd <= STDERR_FILENO || flags < 0 || (flags & O_ACCMODE) == O_RDONLY) {
                usage_error("--ready-fd needs an open descriptor above 2 that can be written to");
            }
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // not passed on to anything the sandbox might start
            o.ready_fd = fd;
        } else if (arg == "--ca-file") {
            o.ca_file = value();
        } else if (arg == "--ca-dir") {
            o.ca_dir = value();
        } else if (arg == "--plain-http") {
            o.plain_http = true;
        } else if (arg == "--threads") {
            o.threads = static_cast<unsigned>(parse_number(arg, value(), 256));
        } else if (arg == "--timeout") {
            const std::string v = value();
            char* end = nullptr;
            o.timeout = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || !(o.timeout > 0 && o.timeout <= 86400)) {
                usage_error("--timeout needs a number of seconds (0 < s <= 86400)");
            }
        } else if (arg == "--body-limit") {
            o.body_limit = static_cast<std::size_t>(parse_number(arg, value(), 1ULL << 32));
        } else if (arg == "--quiet") {
            o.quiet = true;
        } else {
            usage_error("unknown option " + arg);
        }
    }
    return o;
}

// host:port as it goes into a URL; a wildcard listen address is reached via loopback.
std::string authority(const std::string& host, std::uint16_t port) {
    std::string h = host;
    if (h == "0.0.0.0") h = "127.0.0.1";
    if (h == "::") h = "::1";
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    return h + ":" + std::to_string(port);
}

// Written to a temporary name and renamed, so a reader never sees half a file.
void write_file_atomically(const fs::path& path, const std::string& text, fs::perms perms) {
    const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
        out << text;
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::permissions(tmp, perms);
    fs::rename(tmp, path);
}

// The ready file holds the admin token and the client secret: created 0600 from the start
// (O_EXCL, O_NOFOLLOW: no moment it is readable by others, never through a planted link), then
// linked into place whole, so a reader waiting for it never sees half of it. A file or link
// already at `path` is refused, not replaced.
void write_private_file_exclusively(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
    bool written = ::fchmod(fd, 0600) == 0;  // exactly 0600, whatever the umask
    for (std::size_t done = 0; written && done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) written = false;
        else done += static_cast<std::size_t>(n);
    }
    const int error = errno;
    ::close(fd);
    if (!written) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(error));
    }
    // link() never follows or replaces what is at `path`: EEXIST for a file or a symbolic link.
    const int linked = ::link(tmp.c_str(), path.c_str());
    const int link_error = errno;
    ::unlink(tmp.c_str());
    if (linked != 0) {
        throw std::runtime_error(link_error == EEXIST
                                     ? "the ready file " + path.string() + " already exists: not replacing it"
                                     : "cannot create " + path.string() + ": " + std::strerror(link_error));
    }
}

// The ready JSON to the caller's descriptor, then closed: its reader needs no polling, and sees
// end-of-file without the JSON when the sandbox exits before it serves.
void write_ready_descriptor(int fd, const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            throw std::runtime_error(std::string("cannot write to --ready-fd: ") + std::strerror(error));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

void print_state(const State& state, const ServiceInfo& info, const std::string& url) {
    std::printf("calbridge-sandbox %s listening on %s\n", CALBRIDGE_SANDBOX_VERSION, url.c_str());
    if (!info.ca_file.empty()) std::printf("  CA certificate: %s\n", info.ca_file.c_str());
    std::printf("  admin token:    %s\n", info.admin_token.c_str());
    std::printf("applications:\n");
    for (const auto& app : state.directory.applications()) {
        std::printf("  %s (%s)\n    client_id:     %s\n    client_secret: %s\n", app.name.c_str(),
                    app.verified ? "verified" : "not verified", app.client_id.c_str(), app.client_secret.c_str());
        for (const auto& uri : app.redirect_uris) std::printf("    redirect_uri:  %s\n", uri.c_str());
    }
    const std::size_t count = state.directory.user_count();
    std::printf("users: %zu\n", count);
    constexpr std::size_t shown = 20;
    for (const auto& summary : state.directory.list_users(shown)) {
        state.directory.read_user(summary.account_id, [&](const User* u) {
            std::printf("  %s <%s>  account_id %s\n", u->name.c_str(), u->email.c_str(), u->account_id.c_str());
            for (const auto& p : u->profiles) {
                std::printf("    profile %s %s (%s)%s\n", p.profile_id.c_str(), p.provider_name.c_str(),
                            p.profile_name.c_str(), p.connected ? "" : " disconnected");
                for (const auto& c : u->calendars) {
                    if (c.profile_id != p.profile_id) continue;
                    std::size_t events = 0;
                    for (const auto& e : u->events) events += e.calendar_id == c.calendar_id ? 1 : 0;
                    std::printf("      calendar %s \"%s\"%s%s: %zu events\n", c.calendar_id.c_str(),
                                c.calendar_name.c_str(), c.primary ? " primary" : "", c.readonly ? " read-only" : "",
                                events);
                }
            }
            return 0;
        });
    }
    if (count > shown) std::printf("  ... and %zu more\n", count - shown);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);

    // SIGINT and SIGTERM are taken by sigwait below, on this thread only: block them before any
    // other thread exists, so every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::optional<fs::path> temp_dir;
    std::optional<fs::path> ready_file;
    int status = 0;
    try {
        const std::int64_t now = Clock().now();
        SandboxConfig config = options.config ? load_config(*options.config, now) : default_config(now);
        const std::string admin_token = config.admin_token.value_or(random_token(24));
        State state(std::move(config.initial));
        Counters counters;

        ServerOptions server_options;
        server_options.host = options.host;
        server_options.port = options.port;
        server_options.tls = !options.plain_http;
        server_options.threads = options.threads;
        server_options.timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout * 1000));
        server_options.body_limit = options.body_limit;
        server_options.admin_token = admin_token;

        std::string ca_file;
        if (server_options.tls) {
            const std::vector<std::string> hosts{options.host};
            const Pki pki = options.ca_dir ? make_pki(load_or_create_ca(fs::absolute(*options.ca_dir)), hosts)
                                           : make_pki(hosts);
            server_options.certificate_chain_pem = pki.server_cert_pem;
            server_options.private_key_pem = pki.server_key_pem;
            fs::path ca_path;
            if (options.ca_file) {
                ca_path = fs::absolute(*options.ca_file);
            } else if (options.ca_dir) {
                ca_path = fs::absolute(*options.ca_dir) / ca_cert_file_name;
            } else {
                std::string pattern = (fs::temp_directory_path() / "calbridge-sandbox-XXXXXX").string();
                if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
                temp_dir = pattern;
                ca_path = *temp_dir / "ca.pem";
            }
            write_file_atomically(ca_path, pki.ca_cert_pem,
                                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                      fs::perms::others_read);
            ca_file = ca_path.string();
        }

        std::unique_ptr<Router> router;
        Server server(server_options, [&router](Request& request) { return router->handle(request); }, counters);
        ServiceInfo info{server_options.tls ? "https" : "http", authority(options.host, server.port()), admin_token, ca_file};
        router = std::make_unique<Router>(state, counters, info);
        server.start();

        const std::string url = info.scheme + "://" + info.authority;
        if (options.ready_file || options.ready_fd) {
            json::object ready;
            ready["api_url"] = url;
            ready["app_url"] = url;
            ready["ca_file"] = ca_file.empty() ? json::value(nullptr) : json::value(ca_file);
            ready["admin_token"] = admin_token;
            ready["pid"] = static_cast<std::int64_t>(::getpid());
            ready["port"] = server.port();
            const auto apps = state.directory.applications();
            ready["client_id"] = apps.empty() ? json::value(nullptr) : json::value(apps.front().client_id);
            ready["client_secret"] = apps.empty() ? json::value(nullptr) : json::value(apps.front().client_secret);
            const std::string text = json::serialize(ready) + "\n";
            if (options.ready_file) {
                const fs::path ready_path = fs::absolute(*options.ready_file);
                write_private_file_exclusively(ready_path, text);
                ready_file = ready_path;  // ours to remove at exit only once we made it
            }
            if (options.ready_fd) write_ready_descriptor(*options.ready_fd, text);
        }
        if (options.quiet) {
            std::printf("calbridge-sandbox listening on %s\n", url.c_str());
            std::fflush(stdout);
        } else {
            print_state(state, info, url);
        }

        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        std::printf("calbridge-sandbox: %s, stopping\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
        std::fflush(stdout);
        server.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "calbridge-sandbox: %s\n", e.what());
        status = 1;
    }
    std::error_code ec;
    if (ready_file) fs::remove(*ready_file, ec);
    if (temp_dir) fs::remove_all(*temp_dir, ec);
    return status;
}
