// calbridge from C++: the same scenarios as the Python peers (bench/peers/common.py), against
// the same sandbox, printing one JSON object on stdout.
//
//   bench_calbridge SPEC_FILE
//
// SPEC_FILE holds one "key value" per line (the harness flattens its JSON spec: nested keys
// joined with '.', list items as repeated keys). Timing and CPU cover the measured region only.
#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>
#include <calbridge/transport.hpp>
#include <calbridge/version.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// ---- the spec ----------------------------------------------------------------------------

class Spec {
public:
    explicit Spec(const std::string& path) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error("cannot read spec " + path);
        std::string line;
        while (std::getline(in, line)) {
            const auto space = line.find(' ');
            if (space == std::string::npos) values_.emplace(line, "");
            else values_.emplace(line.substr(0, space), line.substr(space + 1));
        }
    }
    const std::string& get(const std::string& key) const {
        auto it = values_.find(key);
        if (it == values_.end()) throw std::runtime_error("spec has no " + key);
        return it->second;
    }
    long long number(const std::string& key) const { return std::stoll(get(key)); }
    double real(const std::string& key) const { return std::stod(get(key)); }
    std::vector<std::string> all(const std::string& key) const {
        std::vector<std::string> out;
        auto [a, b] = values_.equal_range(key);
        for (auto it = a; it != b; ++it) out.push_back(it->second);
        return out;
    }

private:
    std::multimap<std::string, std::string> values_;
};

// ---- measuring ---------------------------------------------------------------------------

struct Cpu {
    double user = 0, sys = 0;
};

Cpu cpu_now() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return {static_cast<double>(r.ru_utime.tv_sec) + static_cast<double>(r.ru_utime.tv_usec) / 1e6,
            static_cast<double>(r.ru_stime.tv_sec) + static_cast<double>(r.ru_stime.tv_usec) / 1e6};
}

long rss_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
    }
    throw std::runtime_error("no VmRSS in /proc/self/status");
}

class Json {
public:
    Json& num(const char* key, double v) {
        sep();
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g", v);
        out_ << '"' << key << "\":" << buf;
        return *this;
    }
    Json& integer(const char* key, long long v) {
        sep();
        out_ << '"' << key << "\":" << v;
        return *this;
    }
    Json& boolean(const char* key, bool v) {
        sep();
        out_ << '"' << key << "\":" << (v ? "true" : "false");
        return *this;
    }
    Json& null(const char* key) {
        sep();
        out_ << '"' << key << "\":null";
        return *this;
    }
    Json& str(const char* key, const std::string& v) {
        sep();
        out_ << '"' << key << "\":\"";
        for (char c : v) {
            if (c == '"' || c == '\\') out_ << '\\' << c;
            else if (static_cast<unsigned char>(c) < 0x20) out_ << ' ';
            else out_ << c;
        }
        out_ << '"';
        return *this;
    }
    std::string text() const { return "{" + out_.str() + "}"; }

private:
    void sep() {
        if (!first_) out_ << ',';
        first_ = false;
    }
    std::ostringstream out_;
    bool first_ = true;
};

struct Region {
    Clock::time_point t0 = Clock::now();
    Cpu c0 = cpu_now();
    double wall = 0;
    Cpu cpu;
    void stop() {
        wall = std::chrono::duration<double>(Clock::now() - t0).count();
        const Cpu c1 = cpu_now();
        cpu = {c1.user - c0.user, c1.sys - c0.sys};
    }
    void write(Json& j) const { j.num("wall_s", wall).num("cpu_user_s", cpu.user).num("cpu_sys_s", cpu.sys); }
};

double percentile(const std::vector<std::int64_t>& sorted, double q) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()) / 100.0));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]);
}

void write_latencies(Json& j, std::vector<std::int64_t> ns) {
    std::sort(ns.begin(), ns.end());
    double sum = 0;
    for (auto v : ns) sum += static_cast<double>(v);
    j.num("p50_us", percentile(ns, 50) / 1000.0)
        .num("p99_us", percentile(ns, 99) / 1000.0)
        .num("mean_us", ns.empty() ? 0 : sum / static_cast<double>(ns.size()) / 1000.0);
}

// ---- the peer ----------------------------------------------------------------------------

struct Bench {
    const Spec& spec;
    std::shared_ptr<calbridge::Transport> transport;
    std::unique_ptr<calbridge::Client> client;
    std::atomic<int> refreshes{0};
    std::vector<std::string> calendar_ids;

    explicit Bench(const Spec& s) : spec(s), calendar_ids(s.all("calendar_ids")) {
        calbridge::ClientOptions o;
        o.client_id = spec.get("client_id");
        o.client_secret = calbridge::Secret(spec.get("client_secret"));
        o.api_url = spec.get("api_url");
        o.app_url = spec.get("app_url");
        o.tls.source = calbridge::TlsTrust::Source::ca_file;
        o.tls.ca_file = spec.get("ca_file");
        calbridge::Config config(std::move(o));
        transport = calbridge::make_default_transport(config);
        calbridge::ClientDependencies deps;
        deps.transport = transport;
        deps.on_refresh = [this](const calbridge::Credentials&) { refreshes.fetch_add(1); };
        client = std::make_unique<calbridge::Client>(std::move(config), std::move(deps));
    }

    calbridge::Credentials credentials(const std::string& prefix) const {
        calbridge::Credentials c;
        c.access_token = calbridge::Secret(spec.get(prefix + ".access_token"));
        c.refresh_token = calbridge::Secret(spec.get(prefix + ".refresh_token"));
        c.scope = spec.all(prefix + ".scope");
        c.expires_at = calbridge::WallTime(std::chrono::duration_cast<calbridge::WallTime::duration>(
            std::chrono::duration<double>(spec.real(prefix + ".expires_at"))));
        c.account_id = spec.get(prefix + ".account_id");
        c.sub = c.account_id;
        return c;
    }

    void calendars(const calbridge::Session& session) const {
        const auto list = session.calendars();
        bool same = list.size() == calendar_ids.size();
        for (std::size_t i = 0; same && i < list.size(); ++i) same = list[i].calendar_id == calendar_ids[i];
        if (!same) throw std::runtime_error("calendars differ from what the sandbox holds");
    }

    void stats(Json& j) const {
        const auto s = transport->stats();
        j.integer("transport_requests", static_cast<long long>(s.requests))
            .integer("transport_connections", static_cast<long long>(s.connections_opened))
            .integer("transport_handshakes", static_cast<long long>(s.tls_handshakes));
    }

    // The Client and its transport were made inside `region` (Bench's constructor); then the
    // session and one checked calendar list: name lookup, TCP, TLS handshake, the request.
    void first_call(Json& j, Region& region) const {
        auto session = client->session(credentials("token"));
        const auto constructed = Clock::now();
        calendars(session);
        region.stop();
        j.integer("calls", 1);
        region.write(j);
        j.num("construct_s", std::chrono::duration<double>(constructed - region.t0).count());
    }

    void sequential(Json& j) {
        auto session = client->session(credentials("token"));
        calendars(session);  // warm-up: connection and handshake
        const long long n = spec.number("calls");
        std::vector<std::int64_t> ns;
        ns.reserve(static_cast<std::size_t>(n));
        Region r;
        for (long long i = 0; i < n; ++i) {
            const auto t0 = Clock::now();
            calendars(session);
            ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
        }
        r.stop();
        j.integer("calls", n);
        r.write(j);
        write_latencies(j, std::move(ns));
    }

    void threads(Json& j) {
        auto session = client->session(credentials("token"));
        calendars(session);
        const long long total = spec.number("calls");
        const int threads = static_cast<int>(spec.number("threads"));
        std::vector<std::vector<std::int64_t>> ns(static_cast<std::size_t>(threads));
        std::barrier start(threads + 1);
        std::mutex m;
        std::string error;
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            const long long mine = total / threads + (t < total % threads ? 1 : 0);
            workers.emplace_back([&, t, mine] {
                auto& out = ns[static_cast<std::size_t>(t)];
                out.reserve(static_cast<std::size_t>(mine));
                start.arrive_and_wait();
                try {
                    for (long long i = 0; i < mine; ++i) {
                        const auto t0 = Clock::now();
                        calendars(session);
                        out.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
                    }
                } catch (const std::exception& e) {
                    std::lock_guard lock(m);
                    if (error.empty()) error = e.what();
                }
            });
        }
        Region r;
        start.arrive_and_wait();
        for (auto& w : workers) w.join();
        r.stop();
        if (!error.empty()) throw std::runtime_error("a thread failed: " + error);
        std::vector<std::int64_t> merged;
        for (auto& part : ns) merged.insert(merged.end(), part.begin(), part.end());
        j.integer("calls", total).integer("threads", threads);
        r.write(j);
        write_latencies(j, std::move(merged));
    }

    void storm(Json& j) {
        auto session = client->session(credentials("token"));
        const int threads = static_cast<int>(spec.number("threads"));
        std::vector<Clock::time_point> done(static_cast<std::size_t>(threads));
        std::vector<char> ok(static_cast<std::size_t>(threads), 0);
        std::mutex m;
        std::string first_failure;
        std::barrier start(threads + 1);
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                start.arrive_and_wait();
                try {
                    calendars(session);
                    done[static_cast<std::size_t>(t)] = Clock::now();
                    ok[static_cast<std::size_t>(t)] = 1;
                } catch (const std::exception& e) {
                    std::lock_guard lock(m);
                    if (first_failure.empty()) first_failure = e.what();
                }
            });
        }
        Region r;
        const auto t0 = Clock::now();
        start.arrive_and_wait();
        for (auto& w : workers) w.join();
        r.stop();
        int failed = 0;
        double last = 0;
        for (int t = 0; t < threads; ++t) {
            if (!ok[static_cast<std::size_t>(t)]) ++failed;
            else last = std::max(last, std::chrono::duration<double>(done[static_cast<std::size_t>(t)] - t0).count());
        }
        j.integer("calls", threads).integer("threads", threads).integer("failed_calls", failed);
        r.write(j);
        if (failed == 0) j.num("time_to_all_ok_s", last);
        else j.null("time_to_all_ok_s").str("first_failure", first_failure);
        j.integer("refreshes_seen", refreshes.load());
    }

    void connect(Json& j) {
        const auto redirects = spec.all("redirects");
        const std::string state = spec.get("state");
        const std::string redirect_uri = spec.get("redirect_uri");
        std::vector<std::int64_t> ns;
        Region r;
        for (const auto& url : redirects) {
            const auto t0 = Clock::now();
            auto credentials = client->complete_authorization(url, state, redirect_uri);
            calendars(client->session(credentials));
            ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
        }
        r.stop();
        j.integer("calls", static_cast<long long>(redirects.size())).integer("flows", static_cast<long long>(redirects.size()));
        r.write(j);
        write_latencies(j, std::move(ns));
    }

    void events(Json& j) {
        auto session = client->session(credentials("events_token"));
        calbridge::EventsQuery q;
        q.tzid = "Etc/UTC";
        q.from = calbridge::parse_date(spec.get("events_from"));
        q.to = calbridge::parse_date(spec.get("events_to"));
        if (!q.from || !q.to) throw std::runtime_error("events_from and events_to must be YYYY-MM-DD dates");
        long long count = 0;
        Region r;
        auto pages = session.events(q);
        while (auto page = pages.next()) {
            for (const auto& e : *page) {
                if (e.event_uid.empty() || (!e.start.is_instant() && !e.start.is_date())) {
                    throw std::runtime_error("event without uid or start");
                }
                ++count;
            }
        }
        r.stop();
        if (count != spec.number("expected_events")) {
            throw std::runtime_error("read " + std::to_string(count) + " events, expected " + spec.get("expected_events"));
        }
        j.integer("calls", count).integer("events", count);
        r.write(j);
    }

    // Synthetic users with tokens of the real shape and length (bench/peers/common.py).
    calbridge::Credentials memory_credentials(long long i) const {
        calbridge::Credentials c = credentials("token");
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%08lld", i);
        c.access_token = calbridge::Secret(prefix + c.access_token.reveal().substr(8));
        c.refresh_token = calbridge::Secret(prefix + c.refresh_token.reveal().substr(8));
        c.expires_at = std::chrono::system_clock::now() + std::chrono::hours(1);
        c.account_id = std::string("acc_memory_") + prefix;
        c.sub = c.account_id;
        return c;
    }

    void memory(Json& j) {
        const long long n = spec.number("sessions");
        {
            auto warm = client->session(memory_credentials(n));
            (void)warm.credentials();
        }
        const long before = rss_bytes();
        std::vector<calbridge::Session> live;
        live.reserve(static_cast<std::size_t>(n));
        Region r;
        for (long long i = 0; i < n; ++i) {
            live.push_back(client->session(memory_credentials(i)));
            (void)live.back().credentials();  // live: loaded into the client's account state (no I/O)
        }
        r.stop();
        const long after = rss_bytes();
        j.integer("sessions", n);
        r.write(j);
        j.integer("rss_before_bytes", before)
            .integer("rss_after_bytes", after)
            .num("bytes_per_session", static_cast<double>(after - before) / static_cast<double>(n));
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: bench_calbridge SPEC_FILE\n");
        return 2;
    }
    Json j;
    std::string scenario;
    try {
        const Spec spec(argv[1]);
        scenario = spec.get("scenario");
        j.str("scenario", scenario);
        Region first_call;  // first_call: from nothing (the spec read) to the first result
        Bench bench(spec);
        j.str("version", calbridge::version());
        if (scenario == "first_call") bench.first_call(j, first_call);
        else if (scenario == "sequential") bench.sequential(j);
        else if (scenario == "threads") bench.threads(j);
        else if (scenario == "storm" || scenario == "storm_rotating") bench.storm(j);
        else if (scenario == "connect") bench.connect(j);
        else if (scenario == "events") bench.events(j);
        else if (scenario == "memory") bench.memory(j);
        else throw std::runtime_error("unknown scenario " + scenario);
        if (scenario != "memory") bench.stats(j);
        j.boolean("ok", true);
    } catch (const std::exception& e) {
        j.boolean("ok", false).str("error", e.what());
    }
    std::printf("%s\n", j.text().c_str());
    std::fflush(stdout);
    std::_Exit(0);  // no teardown of 10,000 sessions: not what is measured
}
