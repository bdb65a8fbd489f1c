// One "web worker" of the multi-process store scenarios (test_processes.py): a process with its
// own Client on a shared store, driven over stdin/stdout so the test can line many of them up,
// stop them at exact points and send them real signals.
//
//   store_worker seed  --store NAME --account ID [--expired]   token reply JSON on stdin
//   store_worker load  --store NAME --account ID               prints the stored state (no secrets)
//   store_worker run   --store NAME --account ID [options]      see below
//
// run: builds the client, prints "ready", waits for a line on stdin, then calls calendars() on
// --threads threads at once, one JSON line per call: {"ok":true} or {"ok":false,"code":"...",
// "message":"..."}; after each of --rounds rounds but the last it prints "round" and waits for
// another line. --pause-at claim|commit stops the lease holder right after its claim was
// granted, or right before it writes the refreshed credentials: it prints "paused claim" (or
// "paused commit") and waits for a line on stdin before going on, so the test can SIGKILL or
// SIGSTOP it there. The sandbox comes from CALBRIDGE_TEST_API_URL, CALBRIDGE_TEST_CA_FILE,
// CALBRIDGE_TEST_CLIENT_ID and CALBRIDGE_TEST_CLIENT_SECRET. Exit 0 when every call ran (failed
// calls included), 2 on bad usage.
//
// For the benchmarks (bench/stores.py), run also takes: --timestamps, which adds "t_ns" to each
// result line: the steady clock (CLOCK_MONOTONIC, the driver's time.monotonic_ns()) when the
// call returned; and --seed FILE [--expired], which first writes the token reply in FILE to the
// store as `seed` does, for a memory: store (it lives only inside this process).
#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/open_store.hpp>

#include "util/crypto.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace calbridge;

namespace {

std::mutex output_mutex;

void say(const std::string& line) {
    std::lock_guard lock(output_mutex);
    std::cout << line << std::endl;  // flushed: the test reads it as it comes
}

void wait_for_line() {
    std::string line;
    if (!std::getline(std::cin, line)) std::exit(3);  // the test went away
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out + "\"";
}

// A short fingerprint of a token, so the test can tell tokens apart without seeing them.
std::string fingerprint(const Secret& token) {
    const std::string digest = detail::sha256(token.reveal());
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 6; ++i) {
        out += digits[static_cast<unsigned char>(digest[i]) >> 4];
        out += digits[static_cast<unsigned char>(digest[i]) & 15];
    }
    return out;
}

// Forwards to the real store; stops the holder at --pause-at.
class PausingStore final : public TokenStore, public RefreshLeases {
public:
    PausingStore(std::shared_ptr<TokenStore> inner, std::string pause_at)
        : inner_(std::move(inner)), leases_(inner_->refresh_leases()), pause_at_(std::move(pause_at)) {}

    std::optional<VersionedCredentials> load(std::string_view a) override { return inner_->load(a); }
    std::optional<std::uint64_t> insert(std::string_view a, const Credentials& c) override { return inner_->insert(a, c); }
    std::optional<std::uint64_t> save(std::string_view a, const Credentials& c, std::uint64_t v) override {
        pause("commit");
        return inner_->save(a, c, v);
    }
    std::uint64_t replace(std::string_view a, const Credentials& c) override { return inner_->replace(a, c); }
    bool remove(std::string_view a) override { return inner_->remove(a); }
    RefreshLeases* refresh_leases() noexcept override { return leases_ != nullptr ? this : nullptr; }

    LeaseClaim claim(std::string_view a, std::uint64_t v, std::string_view owner, std::chrono::milliseconds ttl) override {
        LeaseClaim claim = leases_->claim(a, v, owner, ttl);
        if (claim.status == LeaseClaim::Status::granted) pause("claim");
        return claim;
    }
    bool renew(std::string_view a, std::uint64_t e, std::chrono::milliseconds ttl) override { return leases_->renew(a, e, ttl); }
    void release(std::string_view a, std::uint64_t e) override { leases_->release(a, e); }
    bool mark_reauthorization_required(std::string_view a, std::uint64_t v) override {
        return leases_->mark_reauthorization_required(a, v);
    }
    bool wait_for_change(std::string_view a, std::uint64_t v, std::chrono::milliseconds t) override {
        return leases_->wait_for_change(a, v, t);
    }

private:
    void pause(const std::string& where) {
        if (where != pause_at_ || paused_.exchange(true)) return;  // the first time only
        say("paused " + where);
        wait_for_line();
    }

    std::shared_ptr<TokenStore> inner_;
    RefreshLeases* leases_;
    std::string pause_at_;
    std::atomic<bool> paused_{false};
};

std::string env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) throw ConfigurationError(std::string(name) + " is not set");
    return value;
}

// The token reply's credentials; with --expired, expired a day ago.
Credentials seeded_credentials(const std::string& reply, const std::map<std::string, std::string>& args) {
    WallTime requested_at = std::chrono::system_clock::now();
    if (args.count("expired") != 0) requested_at -= std::chrono::hours(24);
    return Credentials::from_token_response(reply, requested_at);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigurationError("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int run(const std::map<std::string, std::string>& args) {
    ClientOptions options;
    options.client_id = env("CALBRIDGE_TEST_CLIENT_ID");
    options.client_secret = Secret(env("CALBRIDGE_TEST_CLIENT_SECRET"));
    options.api_url = env("CALBRIDGE_TEST_API_URL");
    options.app_url = options.api_url;
    options.tls.source = TlsTrust::Source::ca_file;
    options.tls.ca_file = env("CALBRIDGE_TEST_CA_FILE");
    const auto number = [&](const std::string& key, long fallback) {
        const auto it = args.find(key);
        return it == args.end() ? fallback : std::stol(it->second);
    };
    options.timeouts.request = std::chrono::milliseconds(number("timeout-ms", 60'000));
    options.refresh_lease.ttl = std::chrono::milliseconds(number("lease-ttl-ms", 30'000));
    options.refresh_lease.request_timeout = std::chrono::milliseconds(number("lease-request-timeout-ms", 0));
    if (const auto it = args.find("owner"); it != args.end()) options.refresh_lease.owner = it->second;

    ClientDependencies deps;
    deps.store = open_token_store(args.at("store"));
    if (const auto it = args.find("pause-at"); it != args.end()) {
        deps.store = std::make_shared<PausingStore>(deps.store, it->second);
    }
    if (const auto it = args.find("seed"); it != args.end()) {
        deps.store->replace(args.at("account"), seeded_credentials(read_file(it->second), args));
    }
    const Client client(Config(std::move(options)), deps);
    const Session session = client.session(args.at("account"));
    const auto threads = static_cast<std::size_t>(number("threads", 1));
    const long rounds = number("rounds", 1);
    const bool timestamps = args.count("timestamps") != 0;
    // The steady clock's reading as a JSON field: when this call returned.
    const auto stamp = [&] {
        if (!timestamps) return std::string();
        const auto now = std::chrono::steady_clock::now().time_since_epoch();
        return R"(,"t_ns":)" + std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
    };

    say("ready");
    wait_for_line();
    for (long round = 0; round < rounds; ++round) {
        if (round > 0) {
            say("round");
            wait_for_line();
        }
        std::vector<std::thread> pool;
        for (std::size_t i = 0; i < threads; ++i) {
            pool.emplace_back([&] {
                try {
                    session.calendars();
                    say(R"({"ok":true)" + stamp() + "}");
                } catch (const Error& e) {
                    say(R"({"ok":false,"code":)" + json_string(error_code_name(e.code())) +
                        R"(,"message":)" + json_string(e.what()) + stamp() + "}");
                }
            });
        }
        for (auto& t : pool) t.join();
    }
    say("done");
    return 0;
}

int seed(const std::map<std::string, std::string>& args) {
    const std::string reply{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    const Credentials credentials = seeded_credentials(reply, args);
    const auto store = open_token_store(args.at("store"));
    say(R"({"version":)" + std::to_string(store->replace(args.at("account"), credentials)) + "}");
    return 0;
}

int load(const std::map<std::string, std::string>& args) {
    const auto store = open_token_store(args.at("store"));
    const auto stored = store->load(args.at("account"));
    if (!stored) {
        say(R"({"found":false})");
        return 0;
    }
    say(R"({"found":true,"version":)" + std::to_string(stored->version) + R"(,"reauthorization_required":)" +
        (stored->reauthorization_required ? "true" : "false") + R"(,"access":")" +
        fingerprint(stored->credentials.access_token) + R"(","refresh":")" +
        fingerprint(stored->credentials.refresh_token) + "\"}");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: store_worker seed|load|run --store NAME --account ID [...]\n";
        return 2;
    }
    const std::string command = argv[1];
    std::map<std::string, std::string> args;
    for (int i = 2; i < argc; ++i) {
        std::string key = argv[i];
        if (key.rfind("--", 0) != 0) {
            std::cerr << "store_worker: unexpected argument " << key << "\n";
            return 2;
        }
        key = key.substr(2);
        if (key == "expired" || key == "timestamps") {
            args[key] = "";
        } else if (i + 1 < argc) {
            args[key] = argv[++i];
        } else {
            std::cerr << "store_worker: --" << key << " needs a value\n";
            return 2;
        }
    }
    if (args.count("store") == 0 || args.count("account") == 0) {
        std::cerr << "store_worker: --store and --account are required\n";
        return 2;
    }
    try {
        if (command == "run") return run(args);
        if (command == "seed") return seed(args);
        if (command == "load") return load(args);
    } catch (const Error& e) {
        say(R"({"ok":false,"code":)" + json_string(error_code_name(e.code())) + R"(,"message":)" + json_string(e.what()) + "}");
        return 1;
    }
    std::cerr << "store_worker: unknown command " << command << "\n";
    return 2;
}
