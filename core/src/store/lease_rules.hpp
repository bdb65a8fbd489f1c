// The refresh lease's rules as the file and SQLite stores apply them to the row they read (the
// PostgreSQL store states the same rules in SQL, on the server's clock).
#pragma once

#include <calbridge/store.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

namespace calbridge::detail {

// Lease expiries of the stores without a server clock: milliseconds since the Unix epoch on
// this host's wall clock, the one clock every process on the host shares (a steady clock's
// origin is per boot at best). A step of the wall clock moves live leases with it: forward
// ends them early (a second holder may start while the first is in flight, and the version
// compare-and-swap still fences the late one), back makes them last longer by the step.
inline std::int64_t lease_clock_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// now + ttl, saturating; a negative ttl counts as zero (a lease that is over at once).
inline std::int64_t lease_expiry_ms(std::int64_t now_ms, std::chrono::milliseconds ttl) {
    const std::int64_t add = ttl.count() < 0 ? 0 : static_cast<std::int64_t>(ttl.count());
    if (now_ms > std::numeric_limits<std::int64_t>::max() - add) return std::numeric_limits<std::int64_t>::max();
    return now_ms + add;
}

// What a claim needs to know of the account's row.
struct LeaseRow {
    std::uint64_t version = 0;
    bool reauthorization_required = false;
    bool leased = false;  // an owner is set (the lease was neither released nor cleared)
    std::int64_t lease_until_ms = 0;
};

// The status claim() answers for a row read at `now_ms`, in the order every store checks:
// a marked account first (nobody may refresh it, whatever else holds), then a moved version
// (the caller's judgement is stale), then a live lease; otherwise granted (an expired lease
// included). `remaining` is set for `held`.
inline LeaseClaim::Status claim_status(const LeaseRow& row, std::uint64_t expected_version, std::int64_t now_ms,
                                       std::chrono::milliseconds& remaining) {
    if (row.reauthorization_required) return LeaseClaim::Status::reauthorization_required;
    if (row.version != expected_version) return LeaseClaim::Status::version_moved;
    if (row.leased && row.lease_until_ms > now_ms) {
        remaining = std::chrono::milliseconds(row.lease_until_ms - now_ms);
        return LeaseClaim::Status::held;
    }
    return LeaseClaim::Status::granted;
}

}  // namespace calbridge::detail
