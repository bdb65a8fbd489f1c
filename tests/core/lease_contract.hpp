// The refresh lease contract (store.hpp, RefreshLeases): one list of cases that every shared
// store must pass, run against each store by a factory. A store's test file adds one test case:
//
//   TEST_CASE("the SQLite store keeps the refresh lease contract", "[store][lease]") {
//       lease_contract::run([] { return std::make_unique<MyStoreUnderTest>(); });
//   }
//
// run() gives every case a section of its own (named after the case) and a fresh, empty store
// from the factory. A case that a store cannot pass is a bug in the store, not a case to skip.
#pragma once

#include "support/catch.hpp"

#include <calbridge/store.hpp>

#include "store_fixtures.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace calbridge::testing::lease_contract {

using namespace std::chrono_literals;

// One store under test: a fresh, empty backing (a directory, a database file, a schema) and a
// store on it. It lives for one case; its destructor removes the backing.
class StoreUnderTest {
public:
    virtual ~StoreUnderTest() = default;
    // Its refresh_leases() must not be null. It must be usable in a child after fork(): the
    // contract's two-process case claims through it from two children at once.
    virtual TokenStore& store() = 0;
};

using Factory = std::function<std::unique_ptr<StoreUnderTest>()>;

inline const char* status_name(LeaseClaim::Status status) {
    switch (status) {
    case LeaseClaim::Status::granted: return "granted";
    case LeaseClaim::Status::version_moved: return "version_moved";
    case LeaseClaim::Status::held: return "held";
    case LeaseClaim::Status::reauthorization_required: return "reauthorization_required";
    case LeaseClaim::Status::missing: return "missing";
    }
    return "?";
}

// Long enough never to run out during a case, even under a sanitizer.
inline constexpr std::chrono::milliseconds long_ttl = 60s;

// The cases. Each gets a fresh store that holds nothing.

inline void claim_on_a_missing_account(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    const LeaseClaim claim = leases.claim("acc_1", 1, "owner-a", long_ttl);
    CHECK(status_name(claim.status) == std::string("missing"));
    CHECK_FALSE(claim.stored.has_value());
    CHECK(claim.epoch == 0);
    CHECK_FALSE(leases.renew("acc_1", 1, long_ttl));
    leases.release("acc_1", 1);  // nothing to release: no error
    CHECK_FALSE(leases.mark_reauthorization_required("acc_1", 1));
    CHECK_FALSE(store.load("acc_1").has_value());  // none of that created the account
}

inline void claim_grants_and_reads_in_the_same_step(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});

    const LeaseClaim claim = leases.claim("acc_1", 1, "owner-a", long_ttl);
    CHECK(status_name(claim.status) == std::string("granted"));
    CHECK(claim.epoch >= 1);
    REQUIRE(claim.stored.has_value());
    CHECK(claim.stored->version == 1);
    CHECK(claim.stored->credentials == credentials("acc_1", "v1"));
    CHECK_FALSE(claim.stored->reauthorization_required);
}

inline void a_live_lease_is_held_for_everyone_else(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const LeaseClaim first = leases.claim("acc_1", 1, "owner-a", long_ttl);
    REQUIRE(status_name(first.status) == std::string("granted"));

    for (const char* owner : {"owner-b", "owner-a"}) {  // not re-entrant: the holder itself is refused too
        CAPTURE(owner);
        const LeaseClaim other = leases.claim("acc_1", 1, owner, long_ttl);
        CHECK(status_name(other.status) == std::string("held"));
        CHECK(other.remaining > 0ms);
        CHECK(other.remaining <= long_ttl);
        CHECK(other.epoch == 0);
        REQUIRE(other.stored.has_value());
        CHECK(other.stored->version == 1);
        CHECK(other.stored->credentials == credentials("acc_1", "v1"));
    }
    // Another account is not affected.
    REQUIRE(store.insert("acc_2", credentials("acc_2", "v1")) == std::uint64_t{1});
    CHECK(status_name(leases.claim("acc_2", 1, "owner-b", long_ttl).status) == std::string("granted"));
}

inline void a_moved_version_is_reported_with_the_newer_credentials(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(store.save("acc_1", credentials("acc_1", "v2"), 1) == std::uint64_t{2});

    for (const std::uint64_t expected : {std::uint64_t{1}, std::uint64_t{3}}) {  // older and newer
        CAPTURE(expected);
        const LeaseClaim claim = leases.claim("acc_1", expected, "owner-a", long_ttl);
        CHECK(status_name(claim.status) == std::string("version_moved"));
        CHECK(claim.epoch == 0);
        REQUIRE(claim.stored.has_value());
        CHECK(claim.stored->version == 2);
        CHECK(claim.stored->credentials == credentials("acc_1", "v2"));
    }
    // Nothing was leased by those claims: the current version is granted.
    CHECK(status_name(leases.claim("acc_1", 2, "owner-b", long_ttl).status) == std::string("granted"));
}

inline void a_marked_account_cannot_be_claimed(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(leases.mark_reauthorization_required("acc_1", 1));

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->reauthorization_required);
    CHECK(loaded->version == 1);
    // The mark comes first, even when the version would not match either.
    for (const std::uint64_t expected : {std::uint64_t{1}, std::uint64_t{7}}) {
        CAPTURE(expected);
        const LeaseClaim claim = leases.claim("acc_1", expected, "owner-a", long_ttl);
        CHECK(status_name(claim.status) == std::string("reauthorization_required"));
        CHECK(claim.epoch == 0);
        REQUIRE(claim.stored.has_value());
        CHECK(claim.stored->reauthorization_required);
        CHECK(claim.stored->credentials == credentials("acc_1", "v1"));
    }
}

inline void an_expired_lease_is_taken_over(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const LeaseClaim stalled = leases.claim("acc_1", 1, "owner-a", 1ms);
    REQUIRE(status_name(stalled.status) == std::string("granted"));

    // Claim until the 1 ms lease is seen expired (the store's clock decides, so ask it).
    LeaseClaim takeover;
    REQUIRE(eventually([&] {
        takeover = leases.claim("acc_1", 1, "owner-b", long_ttl);
        return takeover.status != LeaseClaim::Status::held;
    }));
    CHECK(status_name(takeover.status) == std::string("granted"));
    CHECK(takeover.epoch == stalled.epoch + 1);
    REQUIRE(takeover.stored.has_value());
    CHECK(takeover.stored->credentials == credentials("acc_1", "v1"));

    // The stalled holder's epoch is stale: its renew and release change nothing.
    CHECK_FALSE(leases.renew("acc_1", stalled.epoch, long_ttl));
    leases.release("acc_1", stalled.epoch);
    CHECK(status_name(leases.claim("acc_1", 1, "owner-c", long_ttl).status) == std::string("held"));
}

inline void renew_extends_only_the_current_lease(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const LeaseClaim claim = leases.claim("acc_1", 1, "owner-a", 30s);
    REQUIRE(status_name(claim.status) == std::string("granted"));

    CHECK_FALSE(leases.renew("acc_1", claim.epoch + 1, 10min));
    CHECK_FALSE(leases.renew("acc_1", claim.epoch - 1, 10min));
    CHECK(leases.claim("acc_1", 1, "owner-b", long_ttl).remaining <= 30s);  // the stale renews did nothing

    CHECK(leases.renew("acc_1", claim.epoch, 10min));
    const LeaseClaim other = leases.claim("acc_1", 1, "owner-b", long_ttl);
    CHECK(status_name(other.status) == std::string("held"));
    CHECK(other.remaining > 9min);  // now + 10 min, whatever the 30 s were

    // A lease renewed for 0 ms is over at once (expiry = now), yet it is still ours until
    // someone takes it over: renewing it again works.
    CHECK(leases.renew("acc_1", claim.epoch, 0ms));
    CHECK(leases.renew("acc_1", claim.epoch, long_ttl));
    CHECK(status_name(leases.claim("acc_1", 1, "owner-b", long_ttl).status) == std::string("held"));
    // Once taken over, it is not.
    CHECK(leases.renew("acc_1", claim.epoch, 0ms));
    const LeaseClaim takeover = leases.claim("acc_1", 1, "owner-b", long_ttl);
    CHECK(status_name(takeover.status) == std::string("granted"));
    CHECK_FALSE(leases.renew("acc_1", claim.epoch, long_ttl));
    CHECK(leases.renew("acc_1", takeover.epoch, long_ttl));

    // Once released, the lease is gone: renew cannot bring it back.
    leases.release("acc_1", takeover.epoch);
    CHECK_FALSE(leases.renew("acc_1", takeover.epoch, long_ttl));
    CHECK(store.load("acc_1")->version == 1);
}

inline void release_ends_only_the_current_lease(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const LeaseClaim claim = leases.claim("acc_1", 1, "owner-a", long_ttl);
    REQUIRE(status_name(claim.status) == std::string("granted"));

    leases.release("acc_1", claim.epoch + 1);
    leases.release("acc_1", claim.epoch - 1);
    CHECK(status_name(leases.claim("acc_1", 1, "owner-b", long_ttl).status) == std::string("held"));

    leases.release("acc_1", claim.epoch);
    const LeaseClaim next = leases.claim("acc_1", 1, "owner-b", long_ttl);
    CHECK(status_name(next.status) == std::string("granted"));
    CHECK(next.epoch == claim.epoch + 1);
    leases.release("acc_1", claim.epoch);  // the old epoch again: the new lease stays
    CHECK(status_name(leases.claim("acc_1", 1, "owner-c", long_ttl).status) == std::string("held"));
}

inline void save_and_replace_clear_the_lease_and_the_mark_and_keep_the_epoch(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});

    // save ends the lease: the holder's next renew fails, a claim on the new version is granted.
    const LeaseClaim first = leases.claim("acc_1", 1, "owner-a", long_ttl);
    REQUIRE(status_name(first.status) == std::string("granted"));
    REQUIRE(store.save("acc_1", credentials("acc_1", "v2"), 1) == std::uint64_t{2});
    CHECK_FALSE(leases.renew("acc_1", first.epoch, long_ttl));
    const LeaseClaim second = leases.claim("acc_1", 2, "owner-b", long_ttl);
    CHECK(status_name(second.status) == std::string("granted"));
    CHECK(second.epoch == first.epoch + 1);  // the epoch went on, it did not restart

    // replace ends it too.
    REQUIRE(store.replace("acc_1", credentials("acc_1", "v3")) == 3);
    CHECK_FALSE(leases.renew("acc_1", second.epoch, long_ttl));
    const LeaseClaim third = leases.claim("acc_1", 3, "owner-c", long_ttl);
    CHECK(status_name(third.status) == std::string("granted"));
    CHECK(third.epoch == second.epoch + 1);

    // save clears the mark (the credentials it writes are new).
    REQUIRE(leases.mark_reauthorization_required("acc_1", 3));
    REQUIRE(store.load("acc_1")->reauthorization_required);
    REQUIRE(store.save("acc_1", credentials("acc_1", "v4"), 3) == std::uint64_t{4});
    auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK_FALSE(loaded->reauthorization_required);
    CHECK(loaded->credentials == credentials("acc_1", "v4"));

    // So does replace (a fresh authorization).
    REQUIRE(leases.mark_reauthorization_required("acc_1", 4));
    REQUIRE(store.replace("acc_1", credentials("acc_1", "v5")) == 5);
    loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK_FALSE(loaded->reauthorization_required);
    const LeaseClaim fourth = leases.claim("acc_1", 5, "owner-d", long_ttl);
    CHECK(status_name(fourth.status) == std::string("granted"));
    CHECK(fourth.epoch > third.epoch);
}

inline void mark_only_at_the_expected_version_and_it_ends_the_lease(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    REQUIRE(store.save("acc_1", credentials("acc_1", "v2"), 1) == std::uint64_t{2});

    // A refusal of version 1's refresh token, seen after version 2 was saved: a lost race.
    CHECK_FALSE(leases.mark_reauthorization_required("acc_1", 1));
    CHECK_FALSE(leases.mark_reauthorization_required("acc_1", 3));
    CHECK_FALSE(store.load("acc_1")->reauthorization_required);

    const LeaseClaim claim = leases.claim("acc_1", 2, "owner-a", long_ttl);
    REQUIRE(status_name(claim.status) == std::string("granted"));
    CHECK(leases.mark_reauthorization_required("acc_1", 2));
    CHECK_FALSE(leases.renew("acc_1", claim.epoch, long_ttl));  // the lease ended with the mark
    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->reauthorization_required);
    CHECK(loaded->version == 2);  // marking is not a write of credentials
    CHECK(loaded->credentials == credentials("acc_1", "v2"));

    // A later save at the marked version is still a compare-and-swap like any other.
    CHECK(store.save("acc_1", credentials("acc_1", "v3"), 1) == std::nullopt);
    CHECK(store.load("acc_1")->reauthorization_required);
}

inline void epochs_only_grow(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    std::uint64_t version = 1;
    std::uint64_t last_epoch = 0;
    for (int round = 0; round < 6; ++round) {
        CAPTURE(round);
        const LeaseClaim claim = leases.claim("acc_1", version, "owner-" + std::to_string(round), long_ttl);
        REQUIRE(status_name(claim.status) == std::string("granted"));
        CHECK(claim.epoch > last_epoch);
        last_epoch = claim.epoch;
        switch (round % 3) {  // end each lease a different way
        case 0: leases.release("acc_1", claim.epoch); break;
        case 1: version = *store.save("acc_1", credentials("acc_1", "r" + std::to_string(round)), version); break;
        default: version = store.replace("acc_1", credentials("acc_1", "r" + std::to_string(round))); break;
        }
    }
}

inline void lease_operations_never_change_the_version_or_credentials(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const LeaseClaim claim = leases.claim("acc_1", 1, "owner-a", long_ttl);
    REQUIRE(status_name(claim.status) == std::string("granted"));
    REQUIRE(leases.renew("acc_1", claim.epoch, long_ttl));
    leases.release("acc_1", claim.epoch);
    REQUIRE(leases.mark_reauthorization_required("acc_1", 1));

    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK(loaded->version == 1);
    CHECK(loaded->credentials == credentials("acc_1", "v1"));
    // And the next write's version follows on from 1.
    CHECK(store.save("acc_1", credentials("acc_1", "v2"), 1) == std::uint64_t{2});
}

inline void insert_makes_an_unmarked_account_with_no_lease(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    const auto loaded = store.load("acc_1");
    REQUIRE(loaded.has_value());
    CHECK_FALSE(loaded->reauthorization_required);
    CHECK_FALSE(leases.renew("acc_1", 1, long_ttl));  // no lease to renew at any epoch
    CHECK_FALSE(leases.renew("acc_1", 0, long_ttl));

    // A failed insert (the account exists) leaves a live lease and the mark alone.
    const LeaseClaim claim = leases.claim("acc_1", 1, "owner-a", long_ttl);
    REQUIRE(status_name(claim.status) == std::string("granted"));
    CHECK(store.insert("acc_1", credentials("acc_1", "other")) == std::nullopt);
    CHECK(leases.renew("acc_1", claim.epoch, long_ttl));

    // remove takes the lease with it; a new account starts unmarked and unleased.
    REQUIRE(leases.mark_reauthorization_required("acc_1", 1));
    REQUIRE(store.remove("acc_1"));
    REQUIRE(store.insert("acc_1", credentials("acc_1", "again")) == std::uint64_t{1});
    CHECK_FALSE(store.load("acc_1")->reauthorization_required);
    CHECK(status_name(leases.claim("acc_1", 1, "owner-b", long_ttl).status) == std::string("granted"));
}

inline void eight_threads_claiming_at_once_get_one_lease(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    constexpr int threads = 8;

    std::latch start(threads);
    std::vector<LeaseClaim::Status> statuses(threads, LeaseClaim::Status::missing);
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            start.arrive_and_wait();
            try {
                statuses[static_cast<std::size_t>(t)] =
                    leases.claim("acc_1", 1, "thread-" + std::to_string(t), long_ttl).status;
            } catch (...) {
                ++failures;
            }
        });
    }
    for (auto& worker : workers) worker.join();

    REQUIRE(failures == 0);
    const auto count = [&](LeaseClaim::Status status) { return std::count(statuses.begin(), statuses.end(), status); };
    CHECK(count(LeaseClaim::Status::granted) == 1);
    CHECK(count(LeaseClaim::Status::held) == threads - 1);
}

inline void two_processes_claiming_at_once_get_one_lease(TokenStore& store) {
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});
    constexpr int children = 2;

    // The children wait on `gate` so that they claim together (closing it is the start), and
    // each writes one byte to `results`: its status, or 'x' when the claim threw.
    int gate[2];
    int results[2];
    REQUIRE(::pipe(gate) == 0);
    REQUIRE(::pipe(results) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < children; ++i) {
        const pid_t pid = fork_flushed();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(gate[1]);
            ::close(results[0]);
            char byte = 0;
            (void)!::read(gate[0], &byte, 1);
            char status = 'x';
            try {
                // The store the parent made: it must not use the parent's connections here.
                const LeaseClaim claim =
                    store.refresh_leases()->claim("acc_1", 1, "process-" + std::to_string(i), long_ttl);
                status = static_cast<char>('0' + static_cast<int>(claim.status));
            } catch (...) {
            }
            (void)!::write(results[1], &status, 1);
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(results[1]);
    ::close(gate[1]);
    std::string statuses;
    char buffer[8];
    ssize_t n = 0;
    while ((n = ::read(results[0], buffer, sizeof buffer)) > 0) statuses.append(buffer, static_cast<std::size_t>(n));
    ::close(results[0]);
    for (const pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
    }

    CAPTURE(statuses);
    const char granted = static_cast<char>('0' + static_cast<int>(LeaseClaim::Status::granted));
    const char held = static_cast<char>('0' + static_cast<int>(LeaseClaim::Status::held));
    REQUIRE(statuses.size() == children);
    CHECK(std::count(statuses.begin(), statuses.end(), granted) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), held) == 1);
    // The parent sees the child's lease.
    CHECK(status_name(store.refresh_leases()->claim("acc_1", 1, "parent", long_ttl).status) == std::string("held"));
}

// A waiter is woken by another writer's commit well before its timeout, and otherwise waits the
// timeout out. The writer keeps saving until the waiter returns, so the waiter cannot miss a
// commit made before it started to look.
inline void wait_for_change_wakes_on_a_commit(TokenStore& store) {
    RefreshLeases& leases = *store.refresh_leases();
    REQUIRE(store.insert("acc_1", credentials("acc_1", "v1")) == std::uint64_t{1});

    const auto quiet_start = std::chrono::steady_clock::now();
    CHECK(leases.wait_for_change("acc_1", 1, 40ms));
    CHECK(std::chrono::steady_clock::now() - quiet_start >= 40ms);

    // The writer commits, then waits for the waiter's return; it commits again only if the
    // waiter has not returned within a few milliseconds (its commit may have come before the
    // waiter started to look).
    std::mutex mutex;
    std::condition_variable returned;
    bool woken = false;
    std::thread writer([&] {
        std::unique_lock lock(mutex);
        for (std::uint64_t v = 1; !woken; ++v) {
            lock.unlock();
            store.save("acc_1", credentials("acc_1", "v" + std::to_string(v + 1)), v);
            lock.lock();
            returned.wait_for(lock, 5ms, [&] { return woken; });
        }
    });
    const auto start = std::chrono::steady_clock::now();
    const bool waited = leases.wait_for_change("acc_1", 1, 60s);
    const auto took = std::chrono::steady_clock::now() - start;
    {
        std::lock_guard lock(mutex);
        woken = true;
    }
    returned.notify_all();
    writer.join();
    CHECK(waited);
    CHECK(took < 30s);  // woken by a commit, not by the timeout
}

struct Case {
    const char* name;
    void (*body)(TokenStore&);
};

inline const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"a claim on a missing account is missing", claim_on_a_missing_account},
        {"a claim grants the lease and reads the credentials in the same step",
         claim_grants_and_reads_in_the_same_step},
        {"a live lease is held for everyone else", a_live_lease_is_held_for_everyone_else},
        {"a moved version is reported with the newer credentials",
         a_moved_version_is_reported_with_the_newer_credentials},
        {"a marked account cannot be claimed", a_marked_account_cannot_be_claimed},
        {"an expired lease is taken over", an_expired_lease_is_taken_over},
        {"renew extends only the current lease", renew_extends_only_the_current_lease},
        {"release ends only the current lease", release_ends_only_the_current_lease},
        {"save and replace clear the lease and the mark and keep the epoch",
         save_and_replace_clear_the_lease_and_the_mark_and_keep_the_epoch},
        {"mark only at the expected version, and it ends the lease",
         mark_only_at_the_expected_version_and_it_ends_the_lease},
        {"epochs only grow", epochs_only_grow},
        {"lease operations never change the version or the credentials",
         lease_operations_never_change_the_version_or_credentials},
        {"insert makes an unmarked account with no lease", insert_makes_an_unmarked_account_with_no_lease},
        {"eight threads claiming at once get one lease", eight_threads_claiming_at_once_get_one_lease},
        {"two processes claiming at once get one lease", two_processes_claiming_at_once_get_one_lease},
        {"wait_for_change wakes on a commit and otherwise waits out its timeout", wait_for_change_wakes_on_a_commit},
    };
    return all;
}

// Runs every case, each in its own section on a fresh store from `make`.
inline void run(const Factory& make) {
    for (const Case& c : cases()) {
        DYNAMIC_SECTION(c.name) {
            const std::unique_ptr<StoreUnderTest> under_test = make();
            REQUIRE(under_test->store().refresh_leases() != nullptr);
            c.body(under_test->store());
        }
    }
}

}  // namespace calbridge::testing::lease_contract
