// WaitingSocket (core/src/http/waiting_socket.hpp), the readiness wait under the transport's
// exchange, over a loopback TCP pair: ready at once, the deadline, a cancellation that came
// first, and a cancellation from another thread while the wait sleeps in ppoll, which only the
// wake-up eventfd can end before the deadline.
#include "support/catch.hpp"
#include "loopback_pair.hpp"

#include "http/call_interrupt.hpp"
#include "http/waiting_socket.hpp"

#include <calbridge/transport.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

using namespace calbridge;
using namespace calbridge::http;
using namespace calbridge::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

CallContext until(SteadyTime deadline, std::shared_ptr<CancellationToken> token = nullptr) {
    CallContext ctx;
    ctx.deadline = deadline;
    ctx.cancel = std::move(token);
    return ctx;
}

// The number of the system call thread `tid` of this process is blocked in, -1 while it runs
// (or when /proc does not tell).
long blocked_in(long tid) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
    long number = -1;
    if (!(in >> number)) return -1;  // "running", or unreadable
    return number;
}

}  // namespace

TEST_CASE("a socket wait returns at once when the socket is ready") {
    asio::io_context ioc;
    WaitingSocket ws(ioc);
    tcp::socket server = connect_loopback(ws.socket(), ioc);
    asio::write(server, asio::buffer("x", 1));
    CallInterrupt call(until(Clock::now() + 10s));
    WaitingSocket::Scope scope(ws, call);
    error_code ec;
    CHECK(ws.wait(tcp::socket::wait_read, ec));
    CHECK_FALSE(ec);
    CHECK(ws.wait(tcp::socket::wait_write, ec));
    CHECK_FALSE(ec);
    CHECK(ws.socket().is_open());
    CHECK_FALSE(ws.timed_out());
    CHECK_FALSE(ws.cancelled());
}

TEST_CASE("a socket wait outside a scope fails with would_block and leaves the socket open") {
    asio::io_context ioc;
    WaitingSocket ws(ioc);
    tcp::socket server = connect_loopback(ws.socket(), ioc);
    error_code ec;
    CHECK_FALSE(ws.wait(tcp::socket::wait_read, ec));
    CHECK(ec == asio::error::would_block);
    CHECK(ws.socket().is_open());
}

TEST_CASE("a socket wait ends at the deadline and closes the socket") {
    asio::io_context ioc;
    WaitingSocket ws(ioc);
    tcp::socket server = connect_loopback(ws.socket(), ioc);  // sends nothing
    const auto start = Clock::now();
    CallInterrupt call(until(start + 100ms));
    WaitingSocket::Scope scope(ws, call);
    error_code ec;
    CHECK_FALSE(ws.wait(tcp::socket::wait_read, ec));
    CHECK(Clock::now() - start >= 100ms);
    CHECK(ec == asio::error::timed_out);
    CHECK(ws.timed_out());
    CHECK_FALSE(ws.cancelled());
    CHECK_FALSE(ws.socket().is_open());
}

TEST_CASE("a socket wait of a call cancelled before it ends at once and closes the socket") {
    asio::io_context ioc;
    WaitingSocket ws(ioc);
    tcp::socket server = connect_loopback(ws.socket(), ioc);
    auto token = std::make_shared<CancellationToken>();
    token->cancel();
    CallInterrupt call(until(Clock::now() + 60s, token));
    WaitingSocket::Scope scope(ws, call);
    error_code ec;
    CHECK_FALSE(ws.wait(tcp::socket::wait_read, ec));
    CHECK(ec == asio::error::operation_aborted);
    CHECK(ws.cancelled());
    CHECK_FALSE(ws.timed_out());
    CHECK_FALSE(ws.socket().is_open());
}

TEST_CASE("a cancellation from another thread wakes a socket wait sleeping in ppoll") {
    asio::io_context ioc;
    WaitingSocket ws(ioc);
    tcp::socket server = connect_loopback(ws.socket(), ioc);  // sends nothing
    auto token = std::make_shared<CancellationToken>();
    // No poll hook: only the deadline, a minute away, or the wake-up ends the ppoll.
    CallInterrupt call(until(Clock::now() + 60s, token));
    const long waiter = ::syscall(SYS_gettid);
    std::atomic<bool> done{false};
    std::atomic<bool> seen_in_ppoll{false};
    std::thread canceller([&] {
        // Cancel once the waiting thread sleeps in ppoll (/proc tells). Should it never be seen
        // there, the wait ends at its deadline and the test fails.
        for (;;) {
            if (done.load()) return;
            const long number = blocked_in(waiter);
            if (number == SYS_ppoll) {
                seen_in_ppoll.store(true);
                break;
            }
            std::this_thread::yield();
        }
        token->cancel();
    });
    const auto start = Clock::now();
    error_code ec;
    bool ready = true;
    {
        WaitingSocket::Scope scope(ws, call);
        ready = ws.wait(tcp::socket::wait_read, ec);
    }
    const auto elapsed = Clock::now() - start;
    done.store(true);
    canceller.join();
    CHECK(seen_in_ppoll.load());
    CHECK_FALSE(ready);
    CHECK(ec == asio::error::operation_aborted);
    CHECK(ws.cancelled());
    CHECK_FALSE(ws.socket().is_open());
    CHECK(elapsed < 30s);  // woken by the cancellation, not by the deadline
}

TEST_CASE("a socket's writes count the bytes that left and a read told to expect a reply waits for it") {
    asio::io_context ioc;
    WaitingSocket ws(ioc);
    tcp::socket server = connect_loopback(ws.socket(), ioc);
    ws.socket().non_blocking(true);
    CallInterrupt call(until(Clock::now() + 10s));
    WaitingSocket::Scope scope(ws, call);
    CHECK(ws.bytes_written() == 0);
    CHECK(ws.write_some(asio::buffer("hello", 5)) == 5);
    CHECK(ws.bytes_written() == 5);
    char got[5] = {};
    asio::read(server, asio::buffer(got, 5));
    CHECK(std::string(got, 5) == "hello");

    asio::write(server, asio::buffer("reply", 5));
    ws.expect_reply();
    char reply[5] = {};
    error_code ec;
    CHECK(ws.read_some(asio::buffer(reply, 5), ec) >= 1);
    CHECK_FALSE(ec);
    CHECK(reply[0] == 'r');
}
