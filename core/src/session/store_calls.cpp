#include "session/store_calls.hpp"

#include <calbridge/errors.hpp>

#include <exception>
#include <string>

namespace calbridge::detail {

namespace {

template <class Fn>
auto guarded(std::string_view operation, std::string_view account, Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw StoreError("token store " + std::string(operation) + " for account " + std::string(account) +
                         " failed: " + e.what());
    } catch (...) {
        throw StoreError("token store " + std::string(operation) + " for account " + std::string(account) +
                         " threw a non-standard exception");
    }
}

}  // namespace

std::optional<VersionedCredentials> store_load(TokenStore& store, std::string_view account) {
    return guarded("load", account, [&] { return store.load(account); });
}

std::optional<std::uint64_t> store_insert(TokenStore& store, std::string_view account, const Credentials& credentials) {
    return guarded("insert", account, [&] { return store.insert(account, credentials); });
}

std::optional<std::uint64_t> store_save(TokenStore& store, std::string_view account, const Credentials& credentials,
                                        std::uint64_t expected_version) {
    return guarded("save", account, [&] { return store.save(account, credentials, expected_version); });
}

std::uint64_t store_replace(TokenStore& store, std::string_view account, const Credentials& credentials) {
    return guarded("replace", account, [&] { return store.replace(account, credentials); });
}

}  // namespace calbridge::detail
