// The size each version of an option struct had: the offset of the first field the next
// version added (each version's last field is a pointer, so there is no padding after it).
#include "versions.hpp"

#include "errors.hpp"

#include <cstddef>
#include <cstring>

namespace calbridge::capi {

namespace {

std::size_t client_options_size(unsigned int version) noexcept {
    return version == 1 ? offsetof(calbridge_client_options, token_store_name) : sizeof(calbridge_client_options);
}

std::size_t token_store_size(unsigned int version) noexcept {
    return version == 1 ? offsetof(calbridge_token_store, claim) : sizeof(calbridge_token_store);
}

static_assert(CALBRIDGE_CLIENT_OPTIONS_VERSION == 2 && CALBRIDGE_TOKEN_STORE_VERSION == 2,
              "a new struct version needs its size here");

}  // namespace

calbridge_client_options current_client_options(const calbridge_client_options& given, const char* name) {
    check_version(given.version, CALBRIDGE_CLIENT_OPTIONS_VERSION, name);
    calbridge_client_options current = CALBRIDGE_CLIENT_OPTIONS_INIT;
    std::memcpy(&current, &given, client_options_size(given.version));
    return current;
}

calbridge_token_store current_token_store(const calbridge_token_store& given, const char* name) {
    check_version(given.version, CALBRIDGE_TOKEN_STORE_VERSION, name);
    calbridge_token_store current = CALBRIDGE_TOKEN_STORE_INIT;
    std::memcpy(&current, &given, token_store_size(given.version));
    return current;
}

void init_client_options(calbridge_client_options& target, unsigned int version) {
    calbridge_client_options defaults = CALBRIDGE_CLIENT_OPTIONS_INIT;
    defaults.version = version;
    std::memcpy(&target, &defaults, client_options_size(version));
}

void init_token_store(calbridge_token_store& target, unsigned int version) {
    calbridge_token_store defaults = CALBRIDGE_TOKEN_STORE_INIT;
    defaults.version = version;
    std::memcpy(&target, &defaults, token_store_size(version));
}

}  // namespace calbridge::capi
