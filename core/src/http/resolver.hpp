// Name resolution with a per-origin cache, bounded by the call's deadline. getaddrinfo()
// cannot be cancelled, so a lookup runs on a short-lived thread of its own and callers wait for
// it (or give up at their deadline, leaving it to finish and fill the cache). Concurrent
// callers for the same host share one lookup; a result is reused for `ttl`. The lookup itself
// is a NameLookup (getaddrinfo unless the Resolver is given another, as tests do).
#pragma once

#include "http/call_interrupt.hpp"
#include "http/fork_guard.hpp"

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace calbridge::http {

struct ResolvedAddress {
    sockaddr_storage address{};
    socklen_t size = 0;
};

// Resolves host:port into `found`; returns 0 or getaddrinfo's EAI_* code. Runs on the
// lookup's own thread and may block for as long as it likes: callers stop waiting at their
// deadline or cancellation, not when it returns.
using NameLookup =
    std::function<int(const std::string& host, std::uint16_t port, std::vector<ResolvedAddress>& found)>;

// getaddrinfo(host, port) for stream sockets, any family, numeric service, AI_ADDRCONFIG.
int system_name_lookup(const std::string& host, std::uint16_t port, std::vector<ResolvedAddress>& found);

class Resolver {
public:
    explicit Resolver(std::chrono::milliseconds ttl = std::chrono::seconds(60),
                      NameLookup lookup = system_name_lookup);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // The addresses of host:port, in getaddrinfo's order. Throws ConnectionError when the
    // name does not resolve (not retryable when it does not exist; names under "invalid." are
    // refused without a DNS query), TimeoutError at `deadline`, CancelledError; none of them sent.
    std::vector<ResolvedAddress> resolve(const std::string& host, std::uint16_t port, SteadyTime deadline,
                                         CallInterrupt& call);

    std::uint64_t lookups() const noexcept;  // getaddrinfo calls started (tests read it)

private:
    struct Lookup;
    static void after_fork_in_child(void* self);
    void forget_parent_lookups();  // under mutex_

    std::chrono::milliseconds ttl_;
    NameLookup name_lookup_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Lookup>> entries_;
    std::uint64_t generation_;
    std::uint64_t lookups_ = 0;
    ForkGuard fork_guard_;
};

}  // namespace calbridge::http
