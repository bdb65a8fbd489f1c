#include "store/postgres/connection.hpp"

#include "http/fork_guard.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace calbridge::detail::pg {

namespace {

// ---------------------------------------------------------------------------------------------
// Secrets in a connection string.

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Lenient: a bad escape is kept as written (libpq would have refused the string anyway, and
// then quotes it as written).
std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

bool is_secret_keyword(std::string_view keyword) noexcept {
    return keyword == "password" || keyword == "sslpassword";
}

// The password of a URI's user information ("scheme://user:password@host"), read the way
// libpq reads it (up to the first '@') and the way a person may mean it (up to the last '@'
// before the path), plus password= and sslpassword= in its query.
void uri_secrets(std::string_view conninfo, std::vector<std::string>& out) {
    const auto scheme_end = conninfo.find("://");
    if (scheme_end == std::string_view::npos) return;
    std::string_view rest = conninfo.substr(scheme_end + 3);
    const auto query_start = rest.find('?');
    const std::string_view before_query = rest.substr(0, query_start);
    for (const auto at : {before_query.find('@'), before_query.rfind('@')}) {
        if (at == std::string_view::npos) continue;
        const std::string_view userinfo = before_query.substr(0, at);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view password = userinfo.substr(colon + 1);
        out.emplace_back(password);
        out.push_back(percent_decode(password));
    }
    if (query_start == std::string_view::npos) return;
    std::string_view query = rest.substr(query_start + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && is_secret_keyword(pair.substr(0, eq))) {
            out.emplace_back(pair.substr(eq + 1));
            out.push_back(percent_decode(pair.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

// password=... in the keyword/value form, quoted ('it''s', with backslash escapes) or not.
void keyword_value_secrets(std::string_view conninfo, std::vector<std::string>& out) {
    for (const std::string_view keyword : {"sslpassword", "password"}) {
        std::size_t from = 0;
        while ((from = conninfo.find(keyword, from)) != std::string_view::npos) {
            std::size_t i = from + keyword.size();
            from = i;
            while (i < conninfo.size() && conninfo[i] == ' ') ++i;
            if (i >= conninfo.size() || conninfo[i] != '=') continue;
            ++i;
            while (i < conninfo.size() && conninfo[i] == ' ') ++i;
            std::string raw;
            std::string value;
            if (i < conninfo.size() && conninfo[i] == '\'') {
                ++i;
                while (i < conninfo.size() && conninfo[i] != '\'') {
                    if (conninfo[i] == '\\' && i + 1 < conninfo.size()) raw += conninfo[i++];
                    value += conninfo[i];
                    raw += conninfo[i++];
                }
            } else {
                while (i < conninfo.size() && conninfo[i] != ' ') {
                    value += conninfo[i];
                    raw += conninfo[i++];
                }
            }
            out.push_back(std::move(raw));
            out.push_back(std::move(value));
        }
    }
}

constexpr std::string_view withheld = "(the message is withheld: it would show the password)";

// libpq's messages end in a newline and may carry an indented hint on the next line.
std::string one_line(std::string_view message) {
    std::string out;
    for (const char c : message) {
        if (c == '\n' || c == '\t' || c == '\r') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// ---------------------------------------------------------------------------------------------
// Waiting on the socket.

// Waits until the socket is ready for `events` or the deadline passes. False on the deadline.
// A poll error (or hang-up) counts as ready: the libpq call that follows reports it.
bool wait_socket(int fd, short events, Clock::time_point deadline) {
    if (fd < 0) return true;  // no socket (the connection failed): let libpq say so at once
    while (true) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return true;
    }
}

void ignore_notice(void*, const char*) {}

struct FinishConnection {
    void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};

std::string milliseconds_text(std::chrono::milliseconds duration) {
    return std::to_string(duration.count()) + " ms";
}

}  // namespace

ConninfoSecrets::ConninfoSecrets(std::string_view conninfo) {
    std::vector<std::string> found;
    char* error = nullptr;
    if (PQconninfoOption* options = PQconninfoParse(std::string(conninfo).c_str(), &error)) {
        for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (o->val != nullptr && is_secret_keyword(o->keyword)) found.emplace_back(o->val);
        }
        PQconninfoFree(options);
    }
    if (error != nullptr) PQfreemem(error);
    // Also read by hand: a string libpq cannot parse is the one whose pieces it quotes.
    uri_secrets(conninfo, found);
    keyword_value_secrets(conninfo, found);
    for (auto& secret : found) {
        if (!secret.empty() && std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) {
            secrets_.push_back(std::move(secret));
        }
    }
    std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string ConninfoSecrets::scrub(std::string_view message) const {
    std::string out(message);
    for (const auto& secret : secrets_) {
        std::size_t at = out.find(secret);
        if (at == std::string::npos) continue;
        // Replacing a two-letter password everywhere would leave a riddle, not a message.
        if (secret.size() < 4) return std::string(withheld);
        while (at != std::string::npos) {
            out.replace(at, secret.size(), "****");
            at = out.find(secret, at + 4);
        }
    }
    return out;
}

std::optional<std::string> conninfo_error(const std::string& conninfo, const ConninfoSecrets& secrets) {
    const bool uri = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
    if (!uri && conninfo.find('=') == std::string::npos) return std::nullopt;
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    std::optional<std::string> message;
    if (options == nullptr) message = secrets.scrub(one_line(error != nullptr ? error : "out of memory"));
    if (options != nullptr) PQconninfoFree(options);
    if (error != nullptr) PQfreemem(error);
    return message;
}

// ---------------------------------------------------------------------------------------------
// Result

Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

Result& Result::operator=(Result&& other) noexcept {
    if (this != &other) {
        if (result_ != nullptr) PQclear(result_);
        result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
}

Result::~Result() {
    if (result_ != nullptr) PQclear(result_);
}

int Result::rows() const noexcept { return result_ == nullptr ? 0 : PQntuples(result_); }

bool Result::is_null(int row, int column) const noexcept { return PQgetisnull(result_, row, column) != 0; }

std::string_view Result::text(int row, int column) const noexcept {
    return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::uint64_t Result::affected() const noexcept {
    const char* text = result_ == nullptr ? "" : PQcmdTuples(result_);
    std::uint64_t n = 0;
    std::from_chars(text, text + std::strlen(text), n);
    return n;
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(PGconn* connection, std::shared_ptr<const ConninfoSecrets> secrets) noexcept
    : connection_(connection), secrets_(std::move(secrets)), fork_generation_(http::fork_generation()) {}

Connection::~Connection() {
    if (connection_ != nullptr) PQfinish(connection_);
}

std::string Connection::error_message() const {
    return secrets_->scrub(one_line(PQerrorMessage(connection_)));
}

std::unique_ptr<Connection> Connection::open(const ConnectSettings& settings, Clock::time_point deadline) {
    // The string is libpq's to read (expand_dbname): a URI or keyword=value pairs, with every
    // parameter it names, sslmode included. Only an application name is added, and only as a
    // fallback, so the string's own wins.
    const char* const keywords[] = {"fallback_application_name", "dbname", nullptr};
    const char* const values[] = {"calbridge", settings.conninfo.c_str(), nullptr};
    std::unique_ptr<PGconn, FinishConnection> pending(PQconnectStartParams(keywords, values, 1));
    if (!pending) throw Failure(FailureKind::not_sent, "cannot connect: out of memory");
    const auto failed = [&](std::string_view why) {
        return Failure(FailureKind::not_sent,
                       "cannot connect: " + settings.secrets->scrub(one_line(why)));
    };
    if (PQstatus(pending.get()) == CONNECTION_BAD) throw failed(PQerrorMessage(pending.get()));
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) throw failed(PQerrorMessage(pending.get()));
        const int fd = PQsocket(pending.get());
        if (fd >= 0 && !wait_socket(fd, status == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline)) {
            throw failed("no answer within " + milliseconds_text(settings.connect_timeout));
        }
        status = PQconnectPoll(pending.get());
    }
    // The default notice processor prints to stderr; an idle session's end (a shutdown's
    // FATAL message) arrives as a notice. Failures reach the caller as errors instead.
    PQsetNoticeProcessor(pending.get(), &ignore_notice, nullptr);
    std::unique_ptr<Connection> connection(new Connection(pending.release(), settings.secrets));
    try {
        connection->execute("SELECT set_config('statement_timeout', $1, false)",
                            {std::to_string(settings.statement_timeout.count())}, deadline);
    } catch (const Failure& e) {
        throw Failure(FailureKind::not_sent, std::string("cannot set statement_timeout: ") + e.what());
    }
    return connection;
}

void Connection::wait_for_reply(Clock::time_point deadline) {
    while (PQisBusy(connection_) != 0) {
        if (!wait_socket(PQsocket(connection_), POLLIN, deadline)) {
            throw Failure(FailureKind::timed_out, "no reply in time");
        }
        if (PQconsumeInput(connection_) == 0) throw Failure(FailureKind::lost, error_message());
    }
}

// Reads every result of what was sent, up to libpq's end marker, and keeps the first error (or
// else the last result): the connection is then ready for the next statement.
Result Connection::collect(Clock::time_point deadline) {
    Result kept(nullptr);
    std::optional<Failure> failure;
    while (true) {
        wait_for_reply(deadline);
        PGresult* raw = PQgetResult(connection_);
        if (raw == nullptr) break;
        Result result(raw);
        const ExecStatusType status = PQresultStatus(raw);
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            if (!failure) kept = std::move(result);
            continue;
        }
        if (failure) continue;
        const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
        std::string message = primary != nullptr ? primary : PQresultErrorMessage(raw);
        std::string code = sqlstate != nullptr ? sqlstate : "";
        if (message.empty()) message = PQerrorMessage(connection_);
        message = secrets_->scrub(one_line(message));
        if (!code.empty()) message += " (SQLSTATE " + code + ")";
        failure.emplace(FailureKind::rejected, message, code);
    }
    // The server ends a session it shuts down with an error of class 57P or 08 and closes it:
    // the statement's fate is then unknown, and the connection is gone.
    if (PQstatus(connection_) != CONNECTION_OK) {
        throw Failure(FailureKind::lost, failure ? std::string(failure->what()) : error_message());
    }
    if (failure) {
        const std::string& code = failure->sqlstate();
        if (code.rfind("57P", 0) == 0 || code.rfind("08", 0) == 0) {
            throw Failure(FailureKind::lost, failure->what(), code);
        }
        throw *failure;
    }
    return kept;
}

Result Connection::execute(const std::string& sql, const std::vector<std::optional<std::string>>& parameters,
                           Clock::time_point deadline) {
    std::vector<const char*> values;
    values.reserve(parameters.size());
    for (const auto& p : parameters) values.push_back(p ? p->c_str() : nullptr);
    // In blocking mode this returns once the whole message is written; 0 means it was not.
    if (PQsendQueryParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                          nullptr, nullptr, 0) == 0) {
        throw Failure(FailureKind::not_sent, error_message());
    }
    return collect(deadline);
}

void Connection::execute_script(const std::string& sql, Clock::time_point deadline) {
    if (PQsendQuery(connection_, sql.c_str()) == 0) throw Failure(FailureKind::not_sent, error_message());
    collect(deadline);
}

bool Connection::idle_and_open() const noexcept {
    if (PQstatus(connection_) != CONNECTION_OK || PQtransactionStatus(connection_) != PQTRANS_IDLE) return false;
    pollfd p{PQsocket(connection_), POLLIN, 0};
    int n = 0;
    do {
        n = ::poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n == 0;
}

int Connection::socket() const noexcept { return PQsocket(connection_); }

bool Connection::wait_readable(Clock::time_point deadline) const { return wait_socket(socket(), POLLIN, deadline); }

bool Connection::consume_input() noexcept {
    return PQconsumeInput(connection_) != 0 && PQstatus(connection_) == CONNECTION_OK;
}

std::vector<std::pair<std::string, std::string>> Connection::take_notifications() {
    std::vector<std::pair<std::string, std::string>> out;
    while (PGnotify* n = PQnotifies(connection_)) {
        out.emplace_back(n->relname, n->extra);
        PQfreemem(n);
    }
    return out;
}

void Connection::abandon_after_fork(Connection* connection) noexcept {
    if (connection == nullptr) return;
    const int fd = PQsocket(connection->connection_);
    if (fd >= 0) {
        // Put /dev/null where the shared socket was: PQfinish's goodbye (and a TLS
        // close_notify) go nowhere, and closing it closes only the child's descriptor.
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || ::dup2(null, fd) < 0) {
            if (null >= 0) ::close(null);
            return;  // leak it rather than disturb the parent
        }
        ::close(null);
    }
    delete connection;
}

}  // namespace calbridge::detail::pg
