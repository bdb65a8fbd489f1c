// A memory store with the refresh lease, as a shared store would keep it, for the lifecycle
// tests of the lease protocol: lease times on the test clock (so a lease expires when the test
// moves time, without sleeping), hooks that play "another process" at exact points, and
// counters of every lease operation.
#pragma once

#include <calbridge/store.hpp>

#include <calbridge/clock.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace calbridge::testing {

class LeasingMemoryStore final : public TokenStore, public RefreshLeases {
public:
    struct Row {
        VersionedCredentials stored;
        std::optional<std::string> owner;  // the lease, while set
        SteadyTime until{};
        std::uint64_t epoch = 0;
    };

    explicit LeasingMemoryStore(std::function<SteadyTime()> now) : now_(std::move(now)) {}

    // Hooks, run without the store's lock before the operation they name (so they may call the
    // store, as another process would).
    std::function<void()> before_load, before_claim, before_save, before_renew;

    std::atomic<int> loads{0}, claims{0}, renewals{0}, releases{0}, marks{0}, saves{0};

    // The row as it is, for assertions.
    Row row(const std::string& account) const {
        std::lock_guard lock(mutex_);
        return rows_.at(account);
    }
    // Another process takes the lease for `ttl`.
    void lease_to(const std::string& account, const std::string& owner, std::chrono::milliseconds ttl) {
        std::lock_guard lock(mutex_);
        Row& r = rows_.at(account);
        r.owner = owner;
        r.until = now_() + ttl;
        ++r.epoch;
    }
    // Another process commits new credentials.
    void commit_as_other(const std::string& account, const Credentials& c) {
        std::lock_guard lock(mutex_);
        Row& r = rows_.at(account);
        r.stored.credentials = c;
        ++r.stored.version;
        r.stored.reauthorization_required = false;
        r.owner.reset();
    }

    std::optional<VersionedCredentials> load(std::string_view account) override {
        run(before_load);
        ++loads;
        std::lock_guard lock(mutex_);
        const auto it = rows_.find(std::string(account));
        if (it == rows_.end()) return std::nullopt;
        return it->second.stored;
    }
    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& c) override {
        std::lock_guard lock(mutex_);
        if (rows_.count(std::string(account)) != 0) return std::nullopt;
        rows_[std::string(account)].stored = VersionedCredentials{c, 1};
        return 1;
    }
    std::optional<std::uint64_t> save(std::string_view account, const Credentials& c, std::uint64_t expected) override {
        run(before_save);
        ++saves;
        std::lock_guard lock(mutex_);
        const auto it = rows_.find(std::string(account));
        if (it == rows_.end() || it->second.stored.version != expected) return std::nullopt;
        it->second.stored = VersionedCredentials{c, expected + 1};
        it->second.owner.reset();
        return expected + 1;
    }
    std::uint64_t replace(std::string_view account, const Credentials& c) override {
        std::lock_guard lock(mutex_);
        Row& r = rows_[std::string(account)];
        r.stored = VersionedCredentials{c, r.stored.version + 1};
        r.owner.reset();
        return r.stored.version;
    }
    bool remove(std::string_view account) override {
        std::lock_guard lock(mutex_);
        return rows_.erase(std::string(account)) != 0;
    }
    RefreshLeases* refresh_leases() noexcept override { return this; }

    LeaseClaim claim(std::string_view account, std::uint64_t expected, std::string_view owner,
                     std::chrono::milliseconds ttl) override {
        run(before_claim);
        ++claims;
        std::lock_guard lock(mutex_);
        LeaseClaim out;
        const auto it = rows_.find(std::string(account));
        if (it == rows_.end()) return out;
        Row& r = it->second;
        out.stored = r.stored;
        const SteadyTime now = now_();
        if (r.stored.reauthorization_required) {
            out.status = LeaseClaim::Status::reauthorization_required;
        } else if (r.stored.version != expected) {
            out.status = LeaseClaim::Status::version_moved;
        } else if (r.owner && r.until > now) {
            out.status = LeaseClaim::Status::held;
            out.remaining = std::chrono::duration_cast<std::chrono::milliseconds>(r.until - now);
        } else {
            r.owner = std::string(owner);
            r.until = now + ttl;
            out.epoch = ++r.epoch;
            out.status = LeaseClaim::Status::granted;
        }
        return out;
    }
    bool renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) override {
        run(before_renew);
        ++renewals;
        std::lock_guard lock(mutex_);
        const auto it = rows_.find(std::string(account));
        if (it == rows_.end() || !it->second.owner || it->second.epoch != epoch) return false;
        it->second.until = now_() + ttl;
        return true;
    }
    void release(std::string_view account, std::uint64_t epoch) override {
        ++releases;
        std::lock_guard lock(mutex_);
        const auto it = rows_.find(std::string(account));
        if (it != rows_.end() && it->second.epoch == epoch) it->second.owner.reset();
    }
    bool mark_reauthorization_required(std::string_view account, std::uint64_t expected) override {
        ++marks;
        std::lock_guard lock(mutex_);
        const auto it = rows_.find(std::string(account));
        if (it == rows_.end() || it->second.stored.version != expected) return false;
        it->second.stored.reauthorization_required = true;
        it->second.owner.reset();
        return true;
    }

private:
    static void run(const std::function<void()>& hook) {
        if (hook) hook();
    }

    std::function<SteadyTime()> now_;
    mutable std::mutex mutex_;
    std::map<std::string, Row> rows_;
};

}  // namespace calbridge::testing
