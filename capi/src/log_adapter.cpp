// The log sink and the hooks: C function pointers → the core's std::function callbacks, and
// who owns their userdata.
#include "callbacks.hpp"
#include "errors.hpp"
#include "handles.hpp"

#include <array>
#include <string>
#include <utility>

namespace calbridge::capi {

AdoptedUserdata adopt_userdata(const calbridge_client_options* options) {
    AdoptedUserdata adopted;
    if (options == nullptr) return adopted;
    check_version(options->version, CALBRIDGE_CLIENT_OPTIONS_VERSION, "options");

    const calbridge_token_store* store = options->token_store;
    const std::array<std::pair<void*, calbridge_userdata_free_cb>, 4> userdata{{
        {store != nullptr ? store->userdata : nullptr, store != nullptr ? store->userdata_free : nullptr},
        {options->log_userdata, options->log_userdata_free},
        {options->on_refresh_userdata, options->on_refresh_userdata_free},
        {options->on_reauthorization_required_userdata, options->on_reauthorization_required_userdata_free},
    }};
    std::array<std::shared_ptr<Userdata>*, 4> slots{&adopted.store, &adopted.log, &adopted.on_refresh,
                                                    &adopted.on_reauthorization_required};
    std::size_t done = 0;
    try {
        for (; done < userdata.size(); ++done) {
            *slots[done] = std::make_shared<Userdata>(userdata[done].first, userdata[done].second);
        }
    } catch (...) {
        // Out of memory: destroy what is not adopted yet (the adopted ones go with `adopted`).
        for (std::size_t i = done; i < userdata.size(); ++i) {
            if (userdata[i].second != nullptr) userdata[i].second(userdata[i].first);
        }
        throw;
    }
    return adopted;
}

namespace {

// C levels are the core's plus one, so that 0 can mean "the default" in the options.
LogLevel core_log_level(int level) {
    if (level == 0) return LogLevel::info;
    if (level < CALBRIDGE_LOG_TRACE || level > CALBRIDGE_LOG_OFF) {
        invalid_argument("options->log_level " + std::to_string(level) +
                         " is not a level (CALBRIDGE_LOG_TRACE to CALBRIDGE_LOG_OFF, or 0 for the default)");
    }
    return static_cast<LogLevel>(level - 1);
}

}  // namespace

void install_log_and_hooks(const calbridge_client_options& options, AdoptedUserdata& adopted,
                           ClientDependencies& dependencies) {
    dependencies.log_level = core_log_level(options.log_level);
    if (options.log != nullptr) {
        dependencies.log = [log = options.log, userdata = adopted.log](LogLevel level, std::string_view message) {
            const std::string line(message);
            log(static_cast<int>(level) + 1, line.c_str(), userdata->get());
        };
    }
    if (options.on_refresh != nullptr) {
        dependencies.on_refresh = [hook = options.on_refresh, userdata = adopted.on_refresh](const Credentials& c) {
            const calbridge_credentials borrowed(c);
            const int rc = hook(&borrowed, userdata->get());
            if (rc != 0) {
                throw UserCallbackError("the on_refresh callback returned " + std::to_string(rc));
            }
        };
    }
    if (options.on_reauthorization_required != nullptr) {
        dependencies.on_reauthorization_required = [hook = options.on_reauthorization_required,
                                                    userdata = adopted.on_reauthorization_required](
                                                       std::string_view account) {
            const std::string key(account);
            hook(key.c_str(), userdata->get());
        };
    }
}

}  // namespace calbridge::capi
