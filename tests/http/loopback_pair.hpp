// A connected TCP pair on loopback for the tests of the transport's units: one end is a
// socket the test hands in (a WaitingSocket's or a Connection's), the other the accepted one,
// blocking, for the test to play the server with.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace calbridge::test {

inline boost::asio::ip::tcp::socket connect_loopback(boost::asio::ip::tcp::socket& client,
                                                     boost::asio::io_context& server_ioc) {
    using boost::asio::ip::tcp;
    tcp::acceptor acceptor(server_ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());  // completes from the listen backlog
    return acceptor.accept();
}

}  // namespace calbridge::test
