// A calbridge::TokenStore whose operations are the application's C callbacks. Callback
// results map onto the TokenStore contract; anything else is a StoreError, which keeps the
// session's "tokens are never lost" handling in charge (a failed write after a refresh keeps
// the new credentials in memory).
#include "callbacks.hpp"
#include "errors.hpp"

#include <calbridge/secret.hpp>

#include <optional>
#include <string>

struct calbridge_store_entry {
    std::optional<calbridge::VersionedCredentials> value;
    std::string problem;  // why calbridge_store_entry_set() refused the entry
};

namespace calbridge::capi {

Userdata::~Userdata() {
    if (free_ != nullptr) free_(userdata_);
}

namespace {

class CTokenStore final : public TokenStore {
public:
    CTokenStore(const calbridge_token_store& callbacks, std::shared_ptr<Userdata> userdata)
        : callbacks_(callbacks), userdata_(std::move(userdata)) {}

    std::optional<VersionedCredentials> load(std::string_view account) override {
        calbridge_store_entry entry;
        const std::string key(account);
        const int rc = callbacks_.load(&entry, key.c_str(), userdata_->get());
        if (rc == CALBRIDGE_STORE_NOT_FOUND) return std::nullopt;
        if (rc != CALBRIDGE_STORE_FOUND) fail("load", rc);
        if (!entry.value) {
            throw StoreError("the token store's load callback returned CALBRIDGE_STORE_FOUND without an entry" +
                             (entry.problem.empty() ? std::string(" (call calbridge_store_entry_set())")
                                                    : ": " + entry.problem));
        }
        return std::move(entry.value);
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

private:
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
};

}  // namespace

std::shared_ptr<TokenStore> make_c_token_store(const calbridge_token_store& store, std::shared_ptr<Userdata> userdata) {
    check_version(store.version, CALBRIDGE_TOKEN_STORE_VERSION, "options->token_store");
    if (store.load == nullptr || store.insert == nullptr || store.save == nullptr || store.replace == nullptr ||
        store.remove == nullptr) {
        invalid_argument("options->token_store needs all five callbacks (load, insert, save, replace, remove)");
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
        s = calbridge_token_store CALBRIDGE_TOKEN_STORE_INIT;
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

}  // extern "C"
