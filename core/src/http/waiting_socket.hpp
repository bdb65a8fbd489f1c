// The layer under TLS of a transport connection: a TCP socket whose synchronous reads and writes
// wait for readiness with ppoll(2), bounded by one call's deadline and ended early by its
// cancellation.
//
// Requests and responses go over synchronous reads and writes of the non-blocking socket, so a
// call costs no more system calls than the bytes need: a read or write that would block waits
// with one ppoll on the socket and the socket's wake-up eventfd, which keeps the call's
// deadline, cancellation and poll hook. A cancellation from another thread writes to the
// eventfd. Only a failed wait ends an operation early, and then the socket is closed (the
// connection is finished: TLS output lost with it does not matter). The TLS handshake and the
// proxy CONNECT go through the asynchronous operations, which pass straight to the socket.
#pragma once

#include "http/call_interrupt.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace calbridge::http {

class WaitingSocket {
public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;
    using lowest_layer_type = boost::asio::ip::tcp::socket::lowest_layer_type;
    using wait_type = boost::asio::ip::tcp::socket::wait_type;

    explicit WaitingSocket(boost::asio::io_context& ioc) : socket_(ioc) {}
    WaitingSocket(WaitingSocket&& other) noexcept;
    WaitingSocket& operator=(WaitingSocket&&) = delete;
    WaitingSocket(const WaitingSocket&) = delete;
    WaitingSocket& operator=(const WaitingSocket&) = delete;
    ~WaitingSocket();  // closes the wake-up eventfd

    boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }
    executor_type get_executor() noexcept { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return socket_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const noexcept { return socket_.lowest_layer(); }

    // The deadline and interruption that waits honour, for one exchange. Outside a scope a
    // read or write that would block fails with would_block and does not wait.
    class Scope {
    public:
        Scope(WaitingSocket& socket, CallInterrupt& call) : socket_(socket) {
            socket_.call_ = &call;
            socket_.timed_out_ = false;
            socket_.cancelled_ = false;
        }
        ~Scope() { socket_.call_ = nullptr; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        WaitingSocket& socket_;
    };
    // Whether a wait in the current (or last) scope ran out of time, or was cancelled.
    bool timed_out() const noexcept { return timed_out_; }
    bool cancelled() const noexcept { return cancelled_; }

    // Waits until the socket is ready for `what`, at most until the scope's deadline. False,
    // with `ec` set, when it timed out, was cancelled or failed: the socket is then closed.
    bool wait(wait_type what, boost::system::error_code& ec);

    // Bytes that left through write_some: zero means no byte of the request reached the server.
    std::uint64_t bytes_written() const noexcept { return bytes_written_; }
    // The next read waits for data before trying: right after a request, the reply cannot be
    // there yet, and a read would only return EAGAIN.
    void expect_reply() noexcept { wait_before_read_ = true; }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
        for (;;) {
            if (!std::exchange(wait_before_read_, false)) {
                const std::size_t n = socket_.read_some(buffers, ec);
                if (!would_block(ec)) return n;
            }
            if (!wait(boost::asio::ip::tcp::socket::wait_read, ec)) return 0;
        }
    }

    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
        for (;;) {
            const std::size_t n = socket_.write_some(buffers, ec);
            if (!would_block(ec)) {
                bytes_written_ += n;
                return n;
            }
            if (!wait(boost::asio::ip::tcp::socket::wait_write, ec)) return 0;
        }
    }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers) {
        boost::system::error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers) {
        boost::system::error_code ec;
        const std::size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }

    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

private:
    static bool would_block(const boost::system::error_code& ec) noexcept {
        return ec == boost::asio::error::would_block || ec == boost::asio::error::try_again;
    }
    void close() noexcept;

    boost::asio::ip::tcp::socket socket_;
    CallInterrupt* call_ = nullptr;  // set by Scope
    int wake_fd_ = -1;               // an eventfd a cancellation writes to (made at the first wait)
    bool timed_out_ = false;
    bool cancelled_ = false;
    std::uint64_t bytes_written_ = 0;
    bool wait_before_read_ = false;
};

}  // namespace calbridge::http
