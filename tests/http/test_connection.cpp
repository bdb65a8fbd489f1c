// A transport connection's liveness check (core/src/http/connection.hpp, looks_alive), which
// keeps a pooled connection the server closed while it was idle from being used again: over a
// plain connection to a loopback socket the test plays the server with.
#include "support/catch.hpp"
#include "loopback_pair.hpp"

#include "http/connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>

using namespace calbridge::http;
using namespace calbridge::test;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct PlainPair {
    asio::ssl::context tls{asio::ssl::context::tls_client};
    Connection c{tls, false};
    asio::io_context server_ioc;
    tcp::socket server{connect_loopback(c.socket(), server_ioc)};

    // Until something (bytes, an end, an error) reached the connection's socket.
    bool await_event() {
        pollfd p{};
        p.fd = c.socket().native_handle();
        p.events = POLLIN | POLLRDHUP;
        return ::poll(&p, 1, 10'000) == 1;
    }
};

}  // namespace

TEST_CASE("an idle open connection looks alive") {
    PlainPair p;
    CHECK(looks_alive(p.c));
}

TEST_CASE("a connection the server closed does not look alive") {
    PlainPair p;
    p.server.close();
    REQUIRE(p.await_event());
    CHECK_FALSE(looks_alive(p.c));
}

TEST_CASE("a connection with bytes no request asked for does not look alive") {
    SECTION("in the socket") {
        PlainPair p;
        asio::write(p.server, asio::buffer("HTTP/1.1 200 OK\r\n", 17));
        REQUIRE(p.await_event());
        CHECK_FALSE(looks_alive(p.c));
    }
    SECTION("in the read buffer") {
        PlainPair p;
        p.c.buffer.commit(asio::buffer_copy(p.c.buffer.prepare(1), asio::buffer("x", 1)));
        CHECK_FALSE(looks_alive(p.c));
    }
}
