// The stored-accounts benchmark's C++ side (bench/stores.py runs it; bench/README.md): a store
// holding many accounts, and how fast the real store reads one back.
//
//   calbridge-bench-store populate --store NAME --accounts N --expires-at UNIX_SECONDS [--batch B]
//   calbridge-bench-store measure  --store NAME --accounts N --expires-at UNIX_SECONDS
//                                  [--samples K] [--session-samples K] [--verify K] [--seed S]
//
// Both read a token reply (JSON) on stdin: the template of every account. Account i gets its own
// account id, sub and tokens (the reply's, with i in their first 8 characters: the real length,
// none shared), the reply's scope, profile and unknown fields, and the given expiry, so that
// `measure` can rebuild exactly what `populate` wrote.
//
// populate fills an SQLite or PostgreSQL store in bulk: the store itself creates its schema,
// then rows go in exactly as its insert() writes them (same columns and values; credentials
// in the store's JSON form, Credentials::to_json()), in big transactions: SQLite through one
// connection with synchronous=OFF, PostgreSQL with COPY and the change-notification trigger
// skipped (session_replication_role = replica; nobody listens during the load). insert() would
// commit, and SQLite fsync, once per account: hours for 1,000,000 of them.
//
// measure opens the store by its name (open_token_store, the real store with its defaults) and
// first checks a sample: every loaded account must equal the credentials rebuilt for it, at
// version 1. Then it times K loads of random accounts (TokenStore::load: the query and the JSON
// parse), and K first uses of a session (client.session(id).credentials() on one Client over
// the store: the registry, the load, no network: the token is valid, and the client's API URL
// is a closed port, so any request would fail the run). A memory: store is populated here,
// through insert(), and its bytes per account are the process's VmRSS growth over the inserts.
//
// Prints one JSON object on stdout: {"ok":true,...} or {"ok":false,"error":"..."}.
#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/open_store.hpp>
#include <calbridge/postgres_store.hpp>
#include <calbridge/sqlite_store.hpp>

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using calbridge::Credentials;

// ---- accounts ----------------------------------------------------------------------------

// splitmix64's finaliser: a bijection on 64 bits, so account ids are distinct, and their order
// has nothing to do with i. Rows then arrive in random key order, as real accounts do, and the
// indexes grow the way they would in production rather than packed by a sorted load.
std::uint64_t scramble(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

class Accounts {
public:
    Accounts(const std::string& reply, long long expires_at_unix)
        : template_(Credentials::from_token_response(reply, std::chrono::system_clock::now())),
          expires_at_(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(expires_at_unix))) {
        if (template_.access_token.reveal().size() < 16 || template_.refresh_token.reveal().size() < 16) {
            throw std::runtime_error("the template reply's tokens are shorter than 16 characters");
        }
    }

    std::string id(long long i) const {
        char buf[32];
        std::snprintf(buf, sizeof buf, "acc_%016llx", static_cast<unsigned long long>(scramble(static_cast<std::uint64_t>(i))));
        return buf;
    }

    Credentials credentials(long long i) const {
        Credentials c = template_;
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%08lld", i);
        c.access_token = calbridge::Secret(prefix + template_.access_token.reveal().substr(8));
        c.refresh_token = calbridge::Secret(prefix + template_.refresh_token.reveal().substr(8));
        c.expires_at = expires_at_;
        c.account_id = id(i);
        c.sub = c.account_id;
        return c;
    }

private:
    Credentials template_;
    calbridge::WallTime expires_at_;
};

// ---- output ------------------------------------------------------------------------------

class Json {
public:
    Json& num(const char* key, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g", v);
        return raw(key, buf);
    }
    Json& integer(const char* key, long long v) { return raw(key, std::to_string(v)); }
    Json& boolean(const char* key, bool v) { return raw(key, v ? "true" : "false"); }
    Json& str(const char* key, const std::string& v) {
        std::string quoted = "\"";
        for (const char c : v) {
            if (c == '"' || c == '\\') quoted += '\\';
            quoted += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
        }
        return raw(key, quoted + '"');
    }
    std::string text() const { return "{" + out_ + "}"; }

private:
    Json& raw(const char* key, const std::string& value) {
        if (!out_.empty()) out_ += ',';
        out_ += '"' + std::string(key) + "\":" + value;
        return *this;
    }
    std::string out_;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

long rss_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
    }
    throw std::runtime_error("no VmRSS in /proc/self/status");
}

// Nearest rank: the smallest value with at least q of the values at or below it.
double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

void latency_fields(Json& j, const std::string& prefix, std::vector<double> us) {
    std::sort(us.begin(), us.end());
    const double mean = us.empty() ? 0 : std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
    j.integer((prefix + "_samples").c_str(), static_cast<long long>(us.size()))
        .num((prefix + "_p50_us").c_str(), percentile(us, 0.50))
        .num((prefix + "_p99_us").c_str(), percentile(us, 0.99))
        .num((prefix + "_mean_us").c_str(), mean)
        .num((prefix + "_max_us").c_str(), us.empty() ? 0 : us.back());
}

// ---- populate: SQLite ----------------------------------------------------------------------

class SqliteBulk {
public:
    explicit SqliteBulk(const std::string& file) {
        if (::sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) fail("open");
        // The store already put the file in WAL mode; this connection only skips the fsyncs and
        // keeps more of the b-tree in memory while it loads.
        exec("PRAGMA synchronous = OFF");
        exec("PRAGMA cache_size = -262144");
        // The columns and values of the store's insert() (its statement: core/src/store/sqlite/connection.cpp).
        if (::sqlite3_prepare_v2(db_,
                                 "INSERT INTO credentials (account, version, credentials, reauthorization_required, "
                                 "lease_epoch, updated_at) VALUES (?1, 1, ?2, 0, 0, ?3)",
                                 -1, &insert_, nullptr) != SQLITE_OK) {
            fail("prepare the insert");
        }
    }
    SqliteBulk(const SqliteBulk&) = delete;
    SqliteBulk& operator=(const SqliteBulk&) = delete;
    ~SqliteBulk() {
        ::sqlite3_finalize(insert_);
        ::sqlite3_close_v2(db_);
    }

    void exec(const char* sql) {
        if (::sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
    }

    void insert(const std::string& account, const std::string& text, std::int64_t now_ms) {
        ::sqlite3_bind_text(insert_, 1, account.data(), static_cast<int>(account.size()), SQLITE_STATIC);
        ::sqlite3_bind_text(insert_, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
        ::sqlite3_bind_int64(insert_, 3, now_ms);
        if (::sqlite3_step(insert_) != SQLITE_DONE) fail("insert a row");
        ::sqlite3_reset(insert_);
    }

private:
    [[noreturn]] void fail(const std::string& doing) const {
        throw std::runtime_error("SQLite bulk load: " + doing + ": " + (db_ ? ::sqlite3_errmsg(db_) : "no handle"));
    }
    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
};

void populate_sqlite(const std::string& file, const Accounts& accounts, long long n, long long batch, Json& j) {
    {
        calbridge::SqliteTokenStore store(file);  // creates the file, WAL mode and the schema
    }
    SqliteBulk bulk(file);
    std::size_t json_bytes = 0;
    const auto t0 = Clock::now();
    for (long long first = 0; first < n; first += batch) {
        bulk.exec("BEGIN");
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
        for (long long i = first; i < std::min(n, first + batch); ++i) {
            const std::string text = accounts.credentials(i).to_json();
            json_bytes += text.size();
            bulk.insert(accounts.id(i), text, now_ms);
        }
        bulk.exec("COMMIT");
    }
    j.num("insert_s", seconds_since(t0));
    const auto t1 = Clock::now();
    bulk.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    j.num("checkpoint_s", seconds_since(t1)).num("json_bytes_mean", static_cast<double>(json_bytes) / static_cast<double>(n));
}

// ---- populate: PostgreSQL ------------------------------------------------------------------

class PgConnection {
public:
    explicit PgConnection(const std::string& conninfo) : conn_(::PQconnectdb(conninfo.c_str())) {
        if (::PQstatus(conn_) != CONNECTION_OK) fail("connect");
    }
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;
    ~PgConnection() { ::PQfinish(conn_); }

    void exec(const std::string& sql, ExecStatusType want = PGRES_COMMAND_OK) {
        PGresult* r = ::PQexec(conn_, sql.c_str());
        const bool ok = ::PQresultStatus(r) == want;
        ::PQclear(r);
        if (!ok) fail(sql);
    }

    void copy_in(const std::string& sql, const std::string& data) {
        exec(sql, PGRES_COPY_IN);
        constexpr std::size_t chunk = 1 << 20;
        for (std::size_t at = 0; at < data.size(); at += chunk) {
            const std::size_t size = std::min(chunk, data.size() - at);
            if (::PQputCopyData(conn_, data.data() + at, static_cast<int>(size)) != 1) fail("send COPY data");
        }
        if (::PQputCopyEnd(conn_, nullptr) != 1) fail("end COPY");
        bool ok = true;
        while (PGresult* r = ::PQgetResult(conn_)) {
            ok = ok && ::PQresultStatus(r) == PGRES_COMMAND_OK;
            ::PQclear(r);
        }
        if (!ok) fail("COPY");
    }

private:
    // The URL is never in the message: it may hold a password.
    [[noreturn]] void fail(const std::string& doing) const {
        throw std::runtime_error("PostgreSQL bulk load: " + doing + ": " + ::PQerrorMessage(conn_));
    }
    PGconn* conn_;
};

// COPY's text format: backslash, tab, newline and carriage return are escaped.
void append_copy_field(std::string& out, const std::string& value) {
    for (const char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
}

void populate_postgres(const std::string& conninfo, const Accounts& accounts, long long n, long long batch, Json& j) {
    const calbridge::PostgresStoreOptions options;
    {
        calbridge::PostgresTokenStore store(conninfo, options);
        store.create_schema();  // the table, its primary key and trigger, as the store makes them
    }
    PgConnection pg(conninfo);
    pg.exec("SET session_replication_role = replica");
    // The columns the store's insert() sets to other than the table's defaults; the rest
    // (reauthorization_required false, no lease, lease_epoch 0, updated_at clock_timestamp())
    // are the defaults, the same values insert() writes.
    const std::string copy = "COPY \"" + options.table + "\" (account, version, credentials) FROM STDIN";
    std::size_t json_bytes = 0;
    const auto t0 = Clock::now();
    std::string data;
    for (long long first = 0; first < n; first += batch) {
        data.clear();
        for (long long i = first; i < std::min(n, first + batch); ++i) {
            const std::string text = accounts.credentials(i).to_json();
            json_bytes += text.size();
            append_copy_field(data, accounts.id(i));
            data += "\t1\t";
            append_copy_field(data, text);
            data += '\n';
        }
        pg.copy_in(copy, data);
    }
    j.num("insert_s", seconds_since(t0));
    // What autovacuum would do to the table soon after: hint bits, visibility map, statistics.
    const auto t1 = Clock::now();
    pg.exec("VACUUM (ANALYZE) \"" + options.table + "\"");
    j.num("vacuum_s", seconds_since(t1)).num("json_bytes_mean", static_cast<double>(json_bytes) / static_cast<double>(n));
}

// ---- measure -------------------------------------------------------------------------------

void check(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

void measure(const std::map<std::string, std::string>& args, const Accounts& accounts, long long n, Json& j) {
    const auto number = [&](const std::string& key, long long fallback) {
        const auto it = args.find(key);
        return it == args.end() ? fallback : std::stoll(it->second);
    };
    const std::string name = args.at("store");
    const auto store = calbridge::open_token_store(name);
    std::mt19937_64 random(static_cast<std::uint64_t>(number("seed", 1)));
    std::uniform_int_distribution<long long> any(0, n - 1);

    if (name == "memory:") {
        const long before = rss_bytes();
        const auto t0 = Clock::now();
        std::size_t json_bytes = 0;
        for (long long i = 0; i < n; ++i) {
            const Credentials c = accounts.credentials(i);
            if ((i & 1023) == 0) json_bytes += c.to_json().size();
            check(store->insert(accounts.id(i), c).has_value(), "insert found the account already there");
        }
        j.num("insert_s", seconds_since(t0));
        const long after = rss_bytes();
        j.integer("rss_before_bytes", before)
            .integer("rss_after_bytes", after)
            .num("bytes_per_account", static_cast<double>(after - before) / static_cast<double>(n))
            .num("json_bytes_mean", static_cast<double>(json_bytes) / static_cast<double>((n + 1023) / 1024));
    }

    // The store reads back what was written, as its own.
    std::vector<long long> sample = {0, n - 1};
    for (long long k = 0; k < number("verify", 1000); ++k) sample.push_back(any(random));
    for (const long long i : sample) {
        const auto loaded = store->load(accounts.id(i));
        check(loaded.has_value(), "account " + std::to_string(i) + " is missing from the store");
        check(loaded->version == 1 && !loaded->reauthorization_required,
              "account " + std::to_string(i) + " is not at version 1, unmarked");
        check(loaded->credentials == accounts.credentials(i),
              "account " + std::to_string(i) + " does not load as the credentials written");
    }
    check(!store->load("acc_not_stored").has_value(), "an account never written loads");
    j.integer("verified", static_cast<long long>(sample.size()));

    const long long samples = number("samples", 20000);
    for (long long k = 0; k < std::min(samples, 1000LL); ++k) (void)store->load(accounts.id(any(random)));  // warm-up
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(samples));
    for (long long k = 0; k < samples; ++k) ids.push_back(accounts.id(any(random)));
    std::vector<double> us;
    us.reserve(ids.size());
    const auto t_loads = Clock::now();
    for (const std::string& id : ids) {
        const auto t0 = Clock::now();
        const auto loaded = store->load(id);
        const auto t1 = Clock::now();
        check(loaded.has_value(), "a stored account did not load");
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    j.num("loads_s", seconds_since(t_loads));
    latency_fields(j, "load", us);

    // A session's first use: distinct accounts, each new to the client.
    calbridge::ClientOptions options;
    options.client_id = "bench-store";
    options.client_secret = calbridge::Secret("bench-store-secret");
    options.api_url = "https://127.0.0.1:9";  // the discard port, closed: a request would fail
    options.app_url = options.api_url;
    calbridge::ClientDependencies deps;
    deps.store = store;
    const calbridge::Client client(calbridge::Config(std::move(options)), deps);
    const long long session_samples = std::min(number("session-samples", 5000), n);
    std::vector<long long> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0LL);
    for (long long k = 0; k < session_samples; ++k) {  // a partial Fisher-Yates shuffle
        std::uniform_int_distribution<long long> rest(k, n - 1);
        std::swap(order[static_cast<std::size_t>(k)], order[static_cast<std::size_t>(rest(random))]);
    }
    us.clear();
    for (long long k = 0; k < session_samples; ++k) {
        const long long i = order[static_cast<std::size_t>(k)];
        const std::string id = accounts.id(i);
        const auto t0 = Clock::now();
        const Credentials c = client.session(id).credentials();
        const auto t1 = Clock::now();
        check(c.account_id == id, "a session loaded another account");
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    latency_fields(j, "session", us);
}

int main_checked(int argc, char** argv, Json& j) {
    if (argc < 2) throw std::runtime_error("usage: calbridge-bench-store populate|measure --store NAME --accounts N ...");
    const std::string command = argv[1];
    std::map<std::string, std::string> args;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument " + key);
        args[key.substr(2)] = argv[i + 1];
    }
    if (argc % 2 != 0) throw std::runtime_error(std::string("an option without a value: ") + argv[argc - 1]);
    for (const char* required : {"store", "accounts", "expires-at"}) {
        if (args.count(required) == 0) throw std::runtime_error(std::string("--") + required + " is required");
    }
    const std::string reply{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    const Accounts accounts(reply, std::stoll(args.at("expires-at")));
    const long long n = std::stoll(args.at("accounts"));
    if (n < 1) throw std::runtime_error("--accounts must be at least 1");
    const std::string& store = args.at("store");
    j.str("command", command).integer("accounts", n);

    if (command == "populate") {
        const long long batch = args.count("batch") ? std::stoll(args.at("batch")) : 100000;
        const auto t0 = Clock::now();
        if (store.rfind("sqlite:", 0) == 0) {
            populate_sqlite(store.substr(7), accounts, n, batch, j);
        } else if (store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0) {
            populate_postgres(store, accounts, n, batch, j);
        } else {
            throw std::runtime_error("populate takes an sqlite: or postgresql:// store (memory: is populated by measure)");
        }
        j.num("populate_s", seconds_since(t0));
    } else if (command == "measure") {
        measure(args, accounts, n, j);
    } else {
        throw std::runtime_error("unknown command " + command);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Json j;
    int code = 0;
    try {
        code = main_checked(argc, argv, j);
        j.boolean("ok", true);
    } catch (const std::exception& e) {
        j.boolean("ok", false).str("error", e.what());
        code = 1;
    }
    std::printf("%s\n", j.text().c_str());
    std::fflush(stdout);
    std::_Exit(code);  // no teardown of a million accounts: not what is measured
}
