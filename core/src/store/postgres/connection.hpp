// One libpq connection of the PostgreSQL store, driven with libpq's asynchronous calls so that
// every wait (connecting, a reply) has a deadline of ours, and every failure says whether the
// statement can have reached the server. Internal to the core: libpq stays behind this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace calbridge::detail::pg {

using Clock = std::chrono::steady_clock;

// The secrets a connection string carries (password, sslpassword): libpq quotes pieces of the
// string in some messages (a bad percent-escape, a bad URI), and no message of ours may show one.
class ConninfoSecrets {
public:
    explicit ConninfoSecrets(std::string_view conninfo);
    // `message` with every secret replaced by "****"; withheld whole when a secret is so short
    // that replacing it would leave nothing readable.
    std::string scrub(std::string_view message) const;

private:
    std::vector<std::string> secrets_;  // longest first
};

// Why a statement gave no result, which decides whether it may be sent again.
enum class FailureKind {
    not_sent,   // no connection, or the statement never left: the server did nothing
    lost,       // the connection broke after the statement was sent: it may or may not have run
    timed_out,  // no reply by our deadline: it may or may not have run
    busy,       // no connection of the pool came free in time: nothing was sent
    rejected,   // the server answered with an error: it did not run; the connection is fine
};

class Failure : public std::runtime_error {
public:
    Failure(FailureKind kind, const std::string& message, std::string sqlstate = {})
        : std::runtime_error(message), kind_(kind), sqlstate_(std::move(sqlstate)) {}
    FailureKind kind() const noexcept { return kind_; }
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    FailureKind kind_;
    std::string sqlstate_;
};

// libpq's complaint about a connection string, without its secrets; std::nullopt when libpq
// can read it. A bare word is a database name, as libpq takes it.
std::optional<std::string> conninfo_error(const std::string& conninfo, const ConninfoSecrets& secrets);

struct ConnectSettings {
    std::string conninfo;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds statement_timeout{5000};
    std::shared_ptr<const ConninfoSecrets> secrets;
};

// A statement's rows, as text.
class Result {
public:
    explicit Result(pg_result* result) noexcept : result_(result) {}
    Result(Result&& other) noexcept;
    Result& operator=(Result&& other) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    ~Result();

    int rows() const noexcept;
    bool is_null(int row, int column) const noexcept;
    std::string_view text(int row, int column) const noexcept;
    // Rows an INSERT, UPDATE or DELETE touched.
    std::uint64_t affected() const noexcept;

private:
    pg_result* result_;
};

class Connection {
public:
    // Connects, then sets statement_timeout for the session. Throws Failure (not_sent).
    static std::unique_ptr<Connection> open(const ConnectSettings& settings, Clock::time_point deadline);
    ~Connection();  // closes it (a Terminate message, then the socket)
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // One statement with text parameters (bound, never spliced into the text); null for SQL NULL.
    // Waits for the reply until `deadline`. Throws Failure.
    Result execute(const std::string& sql, const std::vector<std::optional<std::string>>& parameters,
                   Clock::time_point deadline);
    // Several statements in one simple-protocol message (one implicit transaction), no
    // parameters: for the schema. Throws Failure.
    void execute_script(const std::string& sql, Clock::time_point deadline);

    // True when the connection can take a statement: open, outside any transaction, and the
    // server has sent nothing since the last reply (an idle session hears only its own end:
    // a shutdown's FATAL message or the close).
    bool idle_and_open() const noexcept;

    // The listener's side: the socket to poll, reading what arrived without blocking, and the
    // notifications read so far (channel, payload).
    int socket() const noexcept;
    // Waits until the server sent something (or the socket failed): false at the deadline.
    bool wait_readable(Clock::time_point deadline) const;
    bool consume_input() noexcept;
    std::vector<std::pair<std::string, std::string>> take_notifications();

    // In a child of fork(): frees this copy of a parent's connection without a byte on the
    // parent's socket (no Terminate, no TLS close_notify), then deletes it.
    static void abandon_after_fork(Connection* connection) noexcept;

    std::uint64_t fork_generation() const noexcept { return fork_generation_; }

private:
    Connection(pg_conn* connection, std::shared_ptr<const ConninfoSecrets> secrets) noexcept;
    std::string error_message() const;
    void wait_for_reply(Clock::time_point deadline);
    Result collect(Clock::time_point deadline);

    pg_conn* connection_;
    std::shared_ptr<const ConninfoSecrets> secrets_;
    std::uint64_t fork_generation_;
};

}  // namespace calbridge::detail::pg
