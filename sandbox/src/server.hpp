// The HTTP(S) server: a Beast-free interface to the sandbox's only Asio/Beast unit. It reads
// requests into Request, calls the handler on an I/O thread, and writes the Response,
// carrying out its delivery faults (delay, close, truncate) on the wire.
#pragma once

#include "counters.hpp"
#include "request.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace calbridge::sandbox {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port
    bool tls = true;
    std::string certificate_chain_pem;  // with tls
    std::string private_key_pem;
    std::size_t body_limit = 1024 * 1024;             // request bodies outside /admin/
    std::size_t admin_body_limit = 64 * 1024 * 1024;  // bulk provisioning
    // When set, an /admin/ request whose header lacks "Authorization: Bearer <admin_token>" is
    // answered 401 from its header alone: no body is read for a caller without the token.
    std::string admin_token;
    std::chrono::milliseconds timeout{30000};         // each handshake, read and write
    unsigned threads = 0;                             // 0: one per hardware thread
};

// Runs on an I/O thread, many at once; must not block for long.
using Handler = std::function<Response(Request&)>;

class Server {
public:
    // Binds and listens before returning (throws std::runtime_error); serves after start().
    Server(ServerOptions options, Handler handler, Counters& counters);
    ~Server();  // stops
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const;
    void start();
    void stop();  // idempotent; returns when every I/O thread has finished

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace calbridge::sandbox
