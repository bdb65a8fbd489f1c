// One connection of the HTTPS transport: its own small io_context, the TLS stream over a
// WaitingSocket, the read buffer that outlives one response; and the check that a pooled one is
// still open before it is used again. Handed to the connection pool as an opaque pointer
// (connection_pool.hpp), which frees it through destroy_connection().
//
// Each connection owns its io_context (one thread at a time), so a pooled connection moves
// between threads together with its executor: Asio 1.81 cannot move an ssl::stream to another
// executor.
#pragma once

#include "http/connection_pool.hpp"
#include "http/waiting_socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace calbridge::http {

struct Connection {
    // `use_tls` false: requests go over the bare socket (http:// to loopback).
    Connection(boost::asio::ssl::context& tls_context, bool use_tls)
        : stream(WaitingSocket(ioc), tls_context), tls(use_tls) {}
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    WaitingSocket& waiting_socket() noexcept { return stream.next_layer(); }
    boost::asio::ip::tcp::socket& socket() noexcept { return waiting_socket().socket(); }

    // Calls `f` with the stream requests go over: TLS, or the bare socket.
    template <class F>
    void with_stream(F&& f) {
        if (tls) {
            f(stream);
        } else {
            f(waiting_socket());
        }
    }

    void close() noexcept {
        boost::system::error_code ignored;
        socket().close(ignored);
    }

    boost::asio::io_context ioc{1};  // first: outlives the stream and any handler still queued
    boost::beast::ssl_stream<WaitingSocket> stream;
    boost::beast::flat_buffer buffer;
    bool tls;
};

// A pooled connection may have been closed by the server while idle: then its socket is
// readable (EOF, a TLS close_notify) or in error, or bytes no request asked for wait in its
// buffers. Checked without blocking before reuse.
bool looks_alive(Connection& c);

}  // namespace calbridge::http
