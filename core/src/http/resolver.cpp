#include "http/resolver.hpp"

#include "http/transport_errors.hpp"

#include <netdb.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string_view>

#include <condition_variable>
#include <cstring>
#include <system_error>
#include <thread>

namespace calbridge::http {

namespace {

// getaddrinfo's answers that say the name has no address at all (HOST_NOT_FOUND, NO_DATA).
bool name_does_not_exist(int error) noexcept {
#ifdef EAI_NODATA
    if (error == EAI_NODATA) return true;
#endif
    return error == EAI_NONAME;
}

// RFC 6761 §6.4: names under "invalid." never resolve, so they are answered here, without
// asking a DNS server that may be slow or unreachable.
bool reserved_invalid(std::string_view host) noexcept {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    constexpr std::string_view label = "invalid";
    if (host.size() < label.size()) return false;
    const std::string_view last = host.substr(host.size() - label.size());
    const bool is_invalid = std::equal(last.begin(), last.end(), label.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
    });
    return is_invalid && (host.size() == label.size() || host[host.size() - label.size() - 1] == '.');
}

}  // namespace

struct Resolver::Lookup {
    // Written once, before `done` is set (release); read by whoever sees `done` (acquire), with
    // no lock: a cache hit takes only the resolver's mutex.
    int error = 0;  // getaddrinfo's, 0 on success
    std::vector<ResolvedAddress> addresses;
    SteadyTime expires{};
    std::atomic<bool> done{false};
    // For waiting on a lookup in flight.
    std::mutex mutex;
    std::condition_variable done_cv;

    bool usable(SteadyTime now) const noexcept {
        return done.load(std::memory_order_acquire) && error == 0 && now < expires;
    }

    void run(const NameLookup& name_lookup, const std::string& host, std::uint16_t port,
             std::chrono::milliseconds ttl) {
        std::vector<ResolvedAddress> found;
        int rc = EAI_FAIL;
        try {
            rc = name_lookup(host, port, found);
        } catch (...) {
            found.clear();  // a substituted lookup that throws counts as a failed one
        }
        {
            std::lock_guard lock(mutex);
            error = rc != 0 ? rc : (found.empty() ? EAI_NONAME : 0);
            addresses = std::move(found);
            expires = std::chrono::steady_clock::now() + ttl;
            done.store(true, std::memory_order_release);
        }
        done_cv.notify_all();
    }
};

int system_name_lookup(const std::string& host, std::uint16_t port, std::vector<ResolvedAddress>& found) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    // RFC 6761 §6.4: names under .invalid never resolve; no resolver is asked.
    if (reserved_invalid(host)) return EAI_NONAME;
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0) return rc;
    for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
        ResolvedAddress a;
        std::memcpy(&a.address, ai->ai_addr, ai->ai_addrlen);
        a.size = ai->ai_addrlen;
        found.push_back(a);
    }
    ::freeaddrinfo(list);
    return 0;
}

Resolver::Resolver(std::chrono::milliseconds ttl, NameLookup lookup)
    : ttl_(ttl),
      name_lookup_(lookup ? std::move(lookup) : NameLookup(system_name_lookup)),
      generation_(fork_generation()), fork_guard_(mutex_, &Resolver::after_fork_in_child, this) {}

Resolver::~Resolver() = default;

void Resolver::after_fork_in_child(void*) {
    // Nothing to do at once: resolve() notices the new generation on first use.
}

void Resolver::forget_parent_lookups() {
    // In a child of fork(). Lookups in flight ran on threads the child does not have, and
    // threads of the parent may be counted as waiters on any lookup's condition variable: the
    // child may neither wait for nor destroy them. Leak them all (small, once per fork), and
    // keep what was resolved, in new entries.
    std::map<std::string, std::shared_ptr<Lookup>> kept;
    const SteadyTime now = std::chrono::steady_clock::now();
    for (const auto& [key, old] : entries_) {
        if (!old || !old->usable(now)) continue;
        auto copy = std::make_shared<Lookup>();
        copy->addresses = old->addresses;
        copy->expires = old->expires;
        copy->done.store(true, std::memory_order_release);
        kept.emplace(key, std::move(copy));
    }
    new std::map<std::string, std::shared_ptr<Lookup>>(std::move(entries_));  // NOLINT: deliberate leak
    entries_ = std::move(kept);
    generation_ = fork_generation();
}

std::uint64_t Resolver::lookups() const noexcept {
    std::lock_guard lock(mutex_);
    return lookups_;
}

std::vector<ResolvedAddress> Resolver::resolve(const std::string& host, std::uint16_t port, SteadyTime deadline,
                                               CallInterrupt& call) {
    const std::string key = host + ":" + std::to_string(port);
    std::shared_ptr<Lookup> lookup;
    bool start = false;
    {
        std::lock_guard lock(mutex_);
        if (generation_ != fork_generation()) forget_parent_lookups();
        const SteadyTime now = std::chrono::steady_clock::now();
        auto& entry = entries_[key];
        if (entry && entry->usable(now)) return entry->addresses;
        if (entry && !entry->done.load(std::memory_order_acquire)) {
            lookup = entry;  // in flight: wait for it too
        } else {
            lookup = std::make_shared<Lookup>();
            entry = lookup;
            start = true;
            ++lookups_;
        }
    }
    if (start) {
        try {
            std::thread([lookup, name_lookup = name_lookup_, host, port, ttl = ttl_] {
                lookup->run(name_lookup, host, port, ttl);
            }).detach();
        } catch (const std::system_error&) {
            lookup->run(name_lookup_, host, port, ttl_);  // no thread to be had: resolve here, unbounded
        }
    }

    auto wake = call.wake_with([lookup] {
        { std::lock_guard lock(lookup->mutex); }
        lookup->done_cv.notify_all();
    });
    std::unique_lock lock(lookup->mutex);
    const auto finished = [&] { return lookup->done.load() || call.cancelled(); };
    for (;;) {
        const SteadyTime slice = call.poll_due(deadline);
        if (lookup->done_cv.wait_until(lock, slice, finished) || slice >= deadline) break;
        lock.unlock();  // the poll hook may cancel, and the wake-up takes this lock
        call.poll();
        lock.lock();
    }
    if (!lookup->done.load()) {
        if (call.cancelled()) throw CancelledError("cancelled while resolving " + host, request_sent(false));
        throw TimeoutError("timed out resolving " + host, request_sent(false));
    }
    if (lookup->error != 0) {
        const std::string why = ::gai_strerror(lookup->error);
        lock.unlock();
        {
            // Failures are not cached: the next call asks again.
            std::lock_guard map_lock(mutex_);
            auto it = entries_.find(key);
            if (it != entries_.end() && it->second == lookup) entries_.erase(it);
        }
        // A name that does not exist stays so for this call: no retry. Anything else (EAI_AGAIN:
        // no answer for now) may be retried.
        throw ConnectionError("cannot resolve " + host + ": " + why,
                              name_does_not_exist(lookup->error) ? permanent_failure() : request_sent(false));
    }
    return lookup->addresses;
}

}  // namespace calbridge::http
