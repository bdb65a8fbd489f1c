#include "session/refresh_lease.hpp"

#include "session/client_state.hpp"
#include "session/store_calls.hpp"
#include "util/crypto.hpp"

#include <calbridge/errors.hpp>

#include <algorithm>
#include <random>

#include <unistd.h>

namespace calbridge::detail {

namespace {

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// Up to half a poll interval more, so waiters in many processes do not poll in step.
std::chrono::milliseconds with_jitter(std::chrono::milliseconds interval) {
    thread_local std::minstd_rand generator{std::random_device{}()};
    std::uniform_int_distribution<std::chrono::milliseconds::rep> extra(0, std::max<long>(interval.count() / 2, 0));
    return interval + std::chrono::milliseconds(extra(generator));
}

}  // namespace

std::string lease_owner(const ClientState& client) {
    const std::string& configured = client.config.refresh_lease().owner;
    if (!configured.empty()) return configured;

    static std::mutex mutex;
    static pid_t pid = 0;
    static std::string identity;
    std::lock_guard lock(mutex);
    if (pid != ::getpid()) {
        pid = ::getpid();
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
        identity = std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(pid) + ":" + hex(random_bytes(4));
    }
    return identity;
}

bool wait_for_store_change(const ClientState& client, Call& call, RefreshLeases& leases, const std::string& account,
                           std::uint64_t version, std::chrono::milliseconds longest) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(call.deadline() - call.now());
    if (remaining.count() <= 0) return false;
    // Slices no longer than a poll interval, so cancellation and the poll hook are heard even
    // while a store blocks on its notification socket.
    const auto slice = std::clamp(with_jitter(client.config.refresh_lease().poll_interval),
                                  std::chrono::milliseconds(1), std::max(longest, std::chrono::milliseconds(1)));
    if (lease_wait_for_change(leases, account, version, std::min(slice, remaining))) {
        call.check_live("waiting for the refresh lease of account " + account);
        return call.now() < call.deadline();
    }
    return call.pause(slice);
}

LeaseOutcome acquire_lease(const ClientState& client, Call& call, RefreshLeases& leases, const std::string& account,
                           VersionedCredentials judged, const LeaseJudge& judge) {
    const auto& options = client.config.refresh_lease();
    const std::string owner = lease_owner(client);
    const Logger& log = call.log();

    // What another process stored meanwhile: used when it needs no refresh, refreshed (by
    // claiming again on its version) when it does.
    const auto moved = [&](const std::optional<VersionedCredentials>& now) -> std::optional<VersionedCredentials> {
        judge.check_refreshable(now);  // throws when marked, gone or without a refresh token
        if (judge.usable(*now)) return now;
        judged = *now;
        return std::nullopt;
    };

    for (;;) {
        call.check_live("waiting for the refresh lease of account " + account);
        LeaseClaim claim = lease_claim(leases, account, judged.version, owner, options.ttl);
        switch (claim.status) {
            case LeaseClaim::Status::granted: {
                if (!claim.stored) throw StoreError("token store granted the refresh lease of account " + account + " without its credentials");
                log(LogLevel::debug, [&] {
                    return "account " + account + ": holds the refresh lease (epoch " + std::to_string(claim.epoch) + ")";
                });
                return std::make_unique<HeldLease>(client, leases, account, claim.epoch, std::move(*claim.stored));
            }
            case LeaseClaim::Status::missing:
                judge.check_refreshable(std::nullopt);
                break;
            case LeaseClaim::Status::reauthorization_required:
            case LeaseClaim::Status::version_moved:
                if (!claim.stored) throw StoreError("token store answered a lease claim for account " + account + " without its credentials");
                if (auto use = moved(claim.stored)) return *use;
                break;
            case LeaseClaim::Status::held: {
                log(LogLevel::debug, [&] {
                    return "account " + account + ": another process holds the refresh lease (" +
                           std::to_string(claim.remaining.count()) + " ms left); waiting";
                });
                // Watch the version until the holder commits, or its lease runs out (then claim
                // again: a live holder will have renewed it, a dead one is taken over).
                const SteadyTime expiry = call.now() + claim.remaining;
                for (;;) {
                    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(expiry - call.now());
                    if (!wait_for_store_change(client, call, leases, account, judged.version, std::max(left, options.poll_interval))) {
                        call.check_live("waiting for another process to refresh account " + account);
                        throw TimeoutError("account " + account + ": gave up waiting for another process's refresh");
                    }
                    auto now = store_load(*client.store, account, client.config.client_secret());
                    if (!now || now->version != judged.version || now->reauthorization_required) {
                        if (auto use = moved(now)) return *use;
                        break;
                    }
                    if (call.now() >= expiry) break;
                }
                break;
            }
        }
    }
}

HeldLease::HeldLease(const ClientState& client, RefreshLeases& leases, std::string account, std::uint64_t epoch,
                     VersionedCredentials stored)
    : client_(client),
      leases_(leases),
      account_(std::move(account)),
      epoch_(epoch),
      stored_(std::move(stored)),
      ttl_(client.config.refresh_lease().ttl) {
    keeper_ = std::thread([this] { keep_alive(); });
}

HeldLease::~HeldLease() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_signal_.notify_all();
    keeper_.join();
    if (ended_) return;
    try {
        lease_release(leases_, account_, epoch_);
    } catch (const std::exception&) {
        // It expires by itself; the next claim takes it over.
        client_.env.log(LogLevel::warning, [&] {
            return "account " + account_ + ": could not release the refresh lease; it expires in at most " +
                   std::to_string(ttl_.count()) + " ms";
        });
    }
}

bool HeldLease::confirm() {
    return lease_renew(leases_, account_, epoch_, ttl_);
}

void HeldLease::keep_alive() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stop_signal_.wait_for(lock, ttl_ / 3, [this] { return stopping_; })) return;
        lock.unlock();
        bool held = true;
        try {
            held = lease_renew(leases_, account_, epoch_, ttl_);
        } catch (const std::exception&) {
            // The store is unreachable for now: try again at the next third.
            client_.env.log(LogLevel::warning, [&] { return "account " + account_ + ": could not renew the refresh lease"; });
        }
        if (!held) {
            client_.env.log(LogLevel::warning, [&] {
                return "account " + account_ + ": lost the refresh lease; the refresh's result is written only if the "
                       "stored version has not moved";
            });
            return;
        }
        lock.lock();
    }
}

}  // namespace calbridge::detail
