// A Client wired to a scripted transport, a memory store, a test clock and a log capture, plus
// builders for the requests and replies the token lifecycle tests script over and over.
#pragma once

#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>

#include "support/scripted_transport.hpp"
#include "support/thrown_by.hpp"
#include "support/test_clock.hpp"
#ifdef CALBRIDGE_TEST_OVER_WIRE
#include "support/wire_transport.hpp"
#endif

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace calbridge::testing {

inline constexpr const char* api = "https://api.test";
inline constexpr const char* client_secret_value = "client-secret-0123456789";
inline constexpr const char* user_agent = "calbridge-test/1";

inline ClientOptions test_options() {
    ClientOptions o;
    o.client_id = "client-id";
    o.client_secret = Secret(client_secret_value);
    o.api_url = api;
    o.app_url = "https://app.test";
    o.user_agent = user_agent;
    o.leeway = std::chrono::seconds(60);
    o.timeouts.request = std::chrono::seconds(30);
    return o;
}

// Collects log lines from any thread.
class LogCapture {
public:
    LogSink sink() {
        return [this](LogLevel level, std::string_view message) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(level, std::string(message));
        };
    }
    std::vector<std::pair<LogLevel, std::string>> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    std::string text() const {
        std::string out;
        for (const auto& [level, line] : lines()) out += std::string(log_level_name(level)) + ": " + line + "\n";
        return out;
    }
    std::size_t count_containing(std::string_view needle) const {
        std::size_t n = 0;
        for (const auto& [level, line] : lines()) n += line.find(needle) != std::string::npos ? 1 : 0;
        return n;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<LogLevel, std::string>> lines_;
};

struct Fixture {
    explicit Fixture(ClientOptions options = test_options(),
                     const std::function<void(ClientDependencies&)>& customize = {})
        : client(Config(std::move(options)), dependencies(customize)) {}

    ClientDependencies dependencies(const std::function<void(ClientDependencies&)>& customize) {
        ClientDependencies d;
        d.transport = transport;
        d.store = store;
        d.log = log.sink();
        d.log_level = LogLevel::trace;
        d.wall_clock = clock.wall_clock();
        d.steady_clock = clock.steady_clock();
        d.waiter = clock.waiter();
        if (customize) customize(d);
#ifdef CALBRIDGE_TEST_OVER_WIRE
        // The lifecycle suite's second run: the same script, behind a real HTTPS connection.
        d.transport = wire = make_wire_transport(d.transport);
#endif
        return d;
    }

    TestClock clock;
    std::shared_ptr<ScriptedTransport> transport = std::make_shared<ScriptedTransport>();
#ifdef CALBRIDGE_TEST_OVER_WIRE
    std::shared_ptr<Transport> wire;  // the real transport in front of `transport`
#endif
    std::shared_ptr<TokenStore> store = std::make_shared<MemoryTokenStore>();
    LogCapture log;
    Client client;
};

// A memory store that counts loads and saves, and whose next `failing_saves` saves throw.
class InstrumentedStore final : public TokenStore {
public:
    std::optional<VersionedCredentials> load(std::string_view account) override {
        ++loads;
        return inner.load(account);
    }
    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& c) override {
        return inner.insert(account, c);
    }
    std::optional<std::uint64_t> save(std::string_view account, const Credentials& c, std::uint64_t expected) override {
        ++saves;
        if (failing_saves > 0) {
            --failing_saves;
            throw std::runtime_error("disk full");
        }
        return inner.save(account, c, expected);
    }
    std::uint64_t replace(std::string_view account, const Credentials& c) override { return inner.replace(account, c); }
    bool remove(std::string_view account) override { return inner.remove(account); }

    MemoryTokenStore inner;
    std::atomic<int> failing_saves{0};
    std::atomic<int> loads{0};
    std::atomic<int> saves{0};
};

// {"token_type":"bearer","access_token":...,"expires_in":...,"refresh_token":...,"account_id":...}
inline std::string token_reply(const std::string& access, const std::string& refresh, int expires_in = 3600,
                               const std::string& account = "acc_1") {
    std::string out = R"({"token_type":"bearer","access_token":")" + access + R"(","expires_in":)" +
                      std::to_string(expires_in);
    if (!refresh.empty()) out += R"(,"refresh_token":")" + refresh + "\"";
    out += R"(,"scope":"read_account list_calendars","account_id":")" + account + R"(","sub":")" + account + "\"}";
    return out;
}

inline Credentials credentials(const std::string& access, const std::string& refresh, WallTime expires_at,
                               const std::string& account = "acc_1") {
    Credentials c;
    c.access_token = Secret(access);
    c.refresh_token = Secret(refresh);
    c.scope = {"read_account", "list_calendars"};
    c.expires_at = expires_at;
    c.account_id = account;
    c.sub = account;
    return c;
}

// The headers every token request carries with the default (form, credentials in the body).
inline std::vector<HttpHeader> form_headers() {
    return {{"Accept", "application/json"},
            {"User-Agent", user_agent},
            {"Content-Type", "application/x-www-form-urlencoded"}};
}

// `refresh_token` and `client_secret` as they appear in the form body (percent-encoded).
inline Step refresh_step(const std::string& refresh_token, HttpResponse answer,
                         const std::string& client_secret = client_secret_value) {
    Step s;
    s.method = "POST";
    s.url = std::string(api) + "/oauth/token";
    s.headers = form_headers();
    s.only_these_headers = true;
    s.body = "client_id=client-id&client_secret=" + client_secret + "&grant_type=refresh_token&refresh_token=" +
             refresh_token;
    s.reply = std::move(answer);
    return s;
}

// GET {api}{path} with exactly the API headers and this bearer token.
inline Step api_step(const std::string& method, const std::string& path, const std::string& token,
                     HttpResponse answer) {
    Step s;
    s.method = method;
    s.url = path.rfind("https://", 0) == 0 ? path : std::string(api) + path;
    s.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}, {"User-Agent", user_agent}};
    s.only_these_headers = true;
    s.reply = std::move(answer);
    return s;
}

inline Step calendars_step(const std::string& token, HttpResponse answer = json_reply(200, R"({"calendars":[]})")) {
    return api_step("GET", "/v1/calendars", token, std::move(answer));
}

// CallOptions one field at a time (GCC 12 warns about designated initializers that skip fields).
inline CallOptions deadline_option(SteadyTime deadline) {
    CallOptions o;
    o.deadline = deadline;
    return o;
}
inline CallOptions timeout_option(std::chrono::milliseconds timeout, std::shared_ptr<CancellationToken> cancel = {}) {
    CallOptions o;
    o.timeout = timeout;
    o.cancel = std::move(cancel);
    return o;
}
inline CallOptions cancel_option(std::shared_ptr<CancellationToken> cancel) {
    CallOptions o;
    o.cancel = std::move(cancel);
    return o;
}

// `step` with a JSON request body, as the API calls that send one write it.
inline Step with_json_body(Step step, std::string body) {
    step.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    step.body = std::move(body);
    return step;
}

// acc_1 stored with access token at-1 and refresh token rt-1, expiring `valid_for` after the
// test clock's now, and a session for it.
inline Session stored_session(Fixture& f, std::chrono::seconds valid_for = std::chrono::hours(1)) {
    if (!f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall() + valid_for))) {
        throw std::logic_error("acc_1 is stored already");
    }
    return f.client.session("acc_1");
}

// A Fixture with acc_1 stored (a token valid for an hour) and a session for it: the API tests'.
struct SessionFixture : Fixture {
    SessionFixture() { session.emplace(stored_session(*this)); }
    std::optional<Session> session;
};


}  // namespace calbridge::testing
