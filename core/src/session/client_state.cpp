#include "session/client_state.hpp"

#include "log/redactor.hpp"

#include <calbridge/errors.hpp>

#include "session/store_calls.hpp"

#include <exception>

namespace calbridge::detail {

namespace {

// The HTTPS transport (Boost.Beast over OpenSSL) unless the caller brought another one.
std::shared_ptr<Transport> transport_or_default(std::shared_ptr<Transport> transport, const Config& config) {
    return transport ? std::move(transport) : make_default_transport(config);
}

CallEnvironment make_environment(ClientDependencies& d, const Config& config) {
    return CallEnvironment{
        transport_or_default(std::move(d.transport), config),
        d.wall_clock ? std::move(d.wall_clock) : system_wall_clock(),
        d.steady_clock ? std::move(d.steady_clock) : system_steady_clock(),
        d.waiter ? std::move(d.waiter) : system_waiter(),
        d.retry,
        d.log_threshold ? Logger(std::move(d.log), std::move(d.log_threshold)) : Logger(std::move(d.log), d.log_level),
    };
}

}  // namespace

ClientState::ClientState(Config config_in, ClientDependencies d)
    : config(std::move(config_in)),
      store(d.store ? std::move(d.store) : std::make_shared<MemoryTokenStore>()),
      env(make_environment(d, config)),
      on_refresh_(std::move(d.on_refresh)),
      on_reauthorization_required_(std::move(d.on_reauthorization_required)) {
    if (env.retry.max_retries < 0) throw ConfigurationError("retry.max_retries must not be negative");
    if (env.retry.initial_backoff.count() < 0 || env.retry.max_backoff < env.retry.initial_backoff) {
        throw ConfigurationError("retry backoff must satisfy 0 <= initial_backoff <= max_backoff");
    }
}

void ClientState::notify_refreshed(const Credentials& credentials) const {
    if (!on_refresh_) return;
    // The hook is handed the new credentials: its message must not carry them (or the client
    // secret) into the error the caller sees.
    Redactor secrets;
    secrets.add(config.client_secret());
    secrets.add(credentials.access_token);
    secrets.add(credentials.refresh_token);
    try {
        on_refresh_(credentials);
    } catch (const Error& e) {
        const std::string scrubbed = secrets.scrub(e.what());
        if (scrubbed == e.what()) throw;
        throw_error(e.code(), scrubbed, e.details());
    } catch (const std::exception& e) {
        throw UserCallbackError(std::string("the on_refresh hook threw: ") + secrets.scrub(e.what()));
    } catch (...) {
        throw UserCallbackError("the on_refresh hook threw a non-standard exception");
    }
}

void ClientState::notify_reauthorization_required(std::string_view account) const noexcept {
    if (!on_reauthorization_required_) return;
    try {
        on_reauthorization_required_(account);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        env.log(LogLevel::warning, [&] { return "the on_reauthorization_required hook threw: " + what; });
    } catch (...) {
        env.log(LogLevel::warning, [] { return std::string("the on_reauthorization_required hook threw"); });
    }
}

std::uint64_t ClientState::store_new_grant(const std::string& account, const Credentials& credentials) const {
    // A new grant wins over whatever the store had: replace, not compare-and-swap.
    const std::uint64_t version = store_replace(*store, account, credentials, config.client_secret());
    if (auto live = accounts.find(account)) live->adopt(credentials, version);
    return version;
}

}  // namespace calbridge::detail
