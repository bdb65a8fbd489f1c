// A transport connection's lifetime (the pool's destroy and after-fork hooks) and its liveness
// check.
#include "http/connection.hpp"

#include <openssl/ssl.h>
#include <poll.h>

namespace calbridge::http {

void destroy_connection(Connection* connection) noexcept { delete connection; }

void abandon_connection_after_fork(Connection* connection) noexcept {
    if (connection == nullptr) return;
    try {
        // The child's reactor shares its epoll set with the parent's: give the child its own
        // before the socket is closed, so nothing of the parent's registration changes.
        connection->ioc.notify_fork(boost::asio::execution_context::fork_child);
    } catch (...) {
        return;  // leak it rather than disturb the parent
    }
    delete connection;  // closes the child's descriptor only; no TLS close_notify is sent
}

bool looks_alive(Connection& c) {
    if (c.buffer.size() != 0) return false;
    if (c.tls && SSL_pending(c.stream.native_handle()) > 0) return false;
    pollfd p{};
    p.fd = c.socket().native_handle();
    p.events = POLLIN | POLLRDHUP;
    return ::poll(&p, 1, 0) == 0;
}

}  // namespace calbridge::http
