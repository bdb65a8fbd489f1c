// A calbridge::TokenStore whose operations are the application's C callbacks, with the
// refresh lease when the store has its callbacks. Callback results map onto the TokenStore and
// RefreshLeases contracts; anything else is a StoreError, which keeps the session's "tokens
// are never lost" handling in charge (a failed write after a refresh keeps the new credentials
// in memory).
#include "callbacks.hpp"
#include "errors.hpp"
#include "versions.hpp"

#include <calbridge/secret.hpp>

#include <algorithm>
#include <optional>
#include <string>

struct calbridge_store_entry {
    std::optional<calbridge::VersionedCredentials> value;
    std::string problem;  // why calbridge_store_entry_set() refused the entry
    // From calbridge_store_entry_set_reauthorization_required(), whenever it was called.
    bool reauthorization_required = false;
};

namespace calbridge::capi {

Userdata::~Userdata() {
    if (free_ != nullptr) free_(userdata_);
}

namespace {

// Durations cross the ABI as unsigned milliseconds.
std::uint64_t milliseconds(std::chrono::milliseconds duration) noexcept {
    return static_cast<std::uint64_t>(std::max<std::chrono::milliseconds::rep>(duration.count(), 0));
}

class CTokenStore final : public TokenStore, public RefreshLeases {
public:
    // `callbacks` is of the current version (versions.hpp), its `version` the application's.
    CTokenStore(const calbridge_token_store& callbacks, std::shared_ptr<Userdata> userdata)
        : callbacks_(callbacks), userdata_(std::move(userdata)), leasing_(callbacks.claim != nullptr) {}

    std::optional<VersionedCredentials> load(std::string_view account) override {
        calbridge_store_entry entry;
        const std::string key(account);
        const int rc = callbacks_.load(&entry, key.c_str(), userdata_->get());
        if (rc == CALBRIDGE_STORE_NOT_FOUND) return std::nullopt;
        if (rc != CALBRIDGE_STORE_FOUND) fail("load", rc);
        return filled("load", "returned CALBRIDGE_STORE_FOUND", std::move(entry));
    }

    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& credentials) override {
        const std::string key(account);
        const Secret json(credentials.to_json());
        std::uint64_t version = 0;
        const int rc = callbacks_.insert(&version, key.c_str(), json.reveal().c_str(), userdata_->get());
        if (rc == CALBRIDGE_STORE_CONFLICT) return std::nullopt;
        if (rc != CALBRIDGE_STORE_SAVED) fail("insert", rc);
        return written("insert", version);
    }

    std::optional<std::uint64_t> save(std::string_view account, const Credentials& credentials,
                                      std::uint64_t expected_version) override {
        const std::string key(account);
        const Secret json(credentials.to_json());
        std::uint64_t version = 0;
        const int rc = callbacks_.save(&version, key.c_str(), json.reveal().c_str(), expected_version, userdata_->get());
        if (rc == CALBRIDGE_STORE_CONFLICT) return std::nullopt;
        if (rc != CALBRIDGE_STORE_SAVED) fail("save", rc);
        return written("save", version);
    }

    std::uint64_t replace(std::string_view account, const Credentials& credentials) override {
        const std::string key(account);
        const Secret json(credentials.to_json());
        std::uint64_t version = 0;
        const int rc = callbacks_.replace(&version, key.c_str(), json.reveal().c_str(), userdata_->get());
        if (rc != CALBRIDGE_STORE_SAVED) fail("replace", rc);
        return written("replace", version);
    }

    bool remove(std::string_view account) override {
        const std::string key(account);
        const int rc = callbacks_.remove(key.c_str(), userdata_->get());
        if (rc == CALBRIDGE_STORE_REMOVED) return true;
        if (rc == CALBRIDGE_STORE_NOT_FOUND) return false;
        fail("remove", rc);
    }

    // A store without the lease callbacks is safe for one process only (see calbridge.h).
    RefreshLeases* refresh_leases() noexcept override { return leasing_ ? this : nullptr; }

    LeaseClaim claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                     std::chrono::milliseconds ttl) override {
        const std::string key(account);
        const std::string owner_text(owner);
        calbridge_store_entry entry;
        calbridge_lease_claim result = CALBRIDGE_LEASE_CLAIM_INIT;
        result.stored = &entry;
        const int rc = callbacks_.claim(&result, key.c_str(), expected_version, owner_text.c_str(), milliseconds(ttl),
                                        userdata_->get());
        if (rc != CALBRIDGE_STORE_CLAIMED) fail("claim", rc);

        LeaseClaim out;
        switch (result.status) {
            case CALBRIDGE_LEASE_GRANTED: out.status = LeaseClaim::Status::granted; break;
            case CALBRIDGE_LEASE_VERSION_MOVED: out.status = LeaseClaim::Status::version_moved; break;
            case CALBRIDGE_LEASE_HELD: out.status = LeaseClaim::Status::held; break;
            case CALBRIDGE_LEASE_REAUTHORIZATION_REQUIRED:
                out.status = LeaseClaim::Status::reauthorization_required;
                break;
            case CALBRIDGE_LEASE_MISSING: return out;  // nothing stored: `stored` stays empty
            default:
                throw StoreError("the token store's claim callback set claim->status to " +
                                 std::to_string(result.status) + ", which is no CALBRIDGE_LEASE_* value");
        }
        out.stored = filled("claim", "set claim->status to " + std::to_string(result.status), std::move(entry));
        if (out.status == LeaseClaim::Status::reauthorization_required) out.stored->reauthorization_required = true;
        if (out.status == LeaseClaim::Status::granted) {
            // The refresh about to happen rests on these two: a store that breaks them would
            // have calbridge refresh credentials it did not claim, or renew a lease it cannot.
            if (result.epoch == 0) {
                throw StoreError("the token store's claim callback granted a lease without an epoch (epochs start at 1)");
            }
            if (out.stored->version != expected_version) {
                throw StoreError("the token store's claim callback granted a lease on version " +
                                 std::to_string(out.stored->version) + ", not the expected " +
                                 std::to_string(expected_version));
            }
            out.epoch = result.epoch;
        }
        if (out.status == LeaseClaim::Status::held) {
            // Leases live an hour at most: a day bounds a nonsense value without overflowing.
            out.remaining = std::chrono::milliseconds(
                static_cast<std::chrono::milliseconds::rep>(std::min<std::uint64_t>(result.remaining_ms, 86'400'000)));
        }
        return out;
    }

    bool renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) override {
        const std::string key(account);
        const int rc = callbacks_.renew(key.c_str(), epoch, milliseconds(ttl), userdata_->get());
        if (rc == CALBRIDGE_STORE_RENEWED) return true;
        if (rc == CALBRIDGE_STORE_CONFLICT) return false;
        fail("renew", rc);
    }

    void release(std::string_view account, std::uint64_t epoch) override {
        const std::string key(account);
        const int rc = callbacks_.release(key.c_str(), epoch, userdata_->get());
        if (rc != CALBRIDGE_STORE_RELEASED) fail("release", rc);
    }

    bool mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) override {
        const std::string key(account);
        const int rc = callbacks_.mark_reauthorization_required(key.c_str(), expected_version, userdata_->get());
        if (rc == CALBRIDGE_STORE_MARKED) return true;
        if (rc == CALBRIDGE_STORE_CONFLICT) return false;
        fail("mark_reauthorization_required", rc);
    }

    bool wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) override {
        if (callbacks_.wait_for_change == nullptr) return false;  // calbridge polls
        const std::string key(account);
        const int rc = callbacks_.wait_for_change(key.c_str(), version, milliseconds(timeout), userdata_->get());
        if (rc != CALBRIDGE_STORE_WAITED) fail("wait_for_change", rc);
        return true;
    }

private:
    // The entry a load or claim callback filled; the reauthorization mark only from a store of
    // version 2 or later (a version 1 store has no lease, and no mark).
    VersionedCredentials filled(const char* operation, const std::string& result, calbridge_store_entry entry) const {
        if (!entry.value) {
            throw StoreError(std::string("the token store's ") + operation + " callback " + result +
                             " without an entry" +
                             (entry.problem.empty() ? std::string(" (call calbridge_store_entry_set())")
                                                    : ": " + entry.problem));
        }
        entry.value->reauthorization_required = callbacks_.version >= 2 && entry.reauthorization_required;
        return std::move(*entry.value);
    }

    [[noreturn]] static void fail(const char* operation, int rc) {
        throw StoreError(std::string("the token store's ") + operation + " callback failed (returned " +
                         std::to_string(rc) + ", " + calbridge_error_code_name(rc) + ")");
    }

    static std::uint64_t written(const char* operation, std::uint64_t version) {
        if (version == 0) {
            throw StoreError(std::string("the token store's ") + operation +
                             " callback returned CALBRIDGE_STORE_SAVED without setting *out_version");
        }
        return version;
    }

    calbridge_token_store callbacks_;
    std::shared_ptr<Userdata> userdata_;
    bool leasing_;
};

}  // namespace

std::shared_ptr<TokenStore> make_c_token_store(const calbridge_token_store& given, std::shared_ptr<Userdata> userdata) {
    const calbridge_token_store store = current_token_store(given, "options->token_store");
    if (store.load == nullptr || store.insert == nullptr || store.save == nullptr || store.replace == nullptr ||
        store.remove == nullptr) {
        invalid_argument("options->token_store needs all five callbacks (load, insert, save, replace, remove)");
    }
    const int lease_callbacks = (store.claim != nullptr) + (store.renew != nullptr) + (store.release != nullptr) +
                                (store.mark_reauthorization_required != nullptr);
    if (lease_callbacks == 0 && store.wait_for_change != nullptr) {
        invalid_argument("options->token_store has wait_for_change without the lease callbacks "
                         "(claim, renew, release, mark_reauthorization_required)");
    }
    if (lease_callbacks != 0 && lease_callbacks != 4) {
        invalid_argument("options->token_store has some of the lease callbacks but not all four (claim, renew, "
                         "release, mark_reauthorization_required): set all of them, or none for a store of one "
                         "process");
    }
    return std::make_shared<CTokenStore>(store, std::move(userdata));
}

}  // namespace calbridge::capi

using namespace calbridge::capi;

extern "C" {

int calbridge_token_store_init(calbridge_token_store* store, unsigned int version) {
    return guard(__func__, [&] {
        auto& s = required(store, "store");
        check_version(version, CALBRIDGE_TOKEN_STORE_VERSION, "version");
        init_token_store(s, version);
    });
}

int calbridge_store_entry_set(calbridge_store_entry* entry, const char* credentials_json, uint64_t version) {
    return guard(__func__, [&] {
        auto& e = required(entry, "entry");
        e.value.reset();
        e.problem.clear();
        const auto json = required_string(credentials_json, "credentials_json");
        if (version == 0) {
            e.problem = "version 0 (versions start at 1)";
            invalid_argument(e.problem);
        }
        try {
            e.value = calbridge::VersionedCredentials{calbridge::Credentials::from_json(json), version};
        } catch (const calbridge::Error& error) {
            e.problem = error.what();
            throw;
        }
    });
}

int calbridge_store_entry_set_reauthorization_required(calbridge_store_entry* entry, int required_mark) {
    return guard(__func__, [&] { required(entry, "entry").reauthorization_required = required_mark != 0; });
}

}  // extern "C"
