// What one Client and all its Sessions share. Internal to the core.
#pragma once

#include <calbridge/client.hpp>
#include <calbridge/config.hpp>
#include <calbridge/store.hpp>

#include "api/callers.hpp"
#include "call/call_policy.hpp"
#include "session/account_registry.hpp"
#include "token/token_endpoint.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace calbridge::detail {

// The client-secret calls (api/) see it as an ApplicationCaller.
struct ClientState final : ApplicationCaller {
    ClientState(Config config, ClientDependencies dependencies);
    ClientState(const ClientState&) = delete;
    ClientState& operator=(const ClientState&) = delete;

    // A logical call with the options' deadline (default: the configured request timeout).
    Call start_call(const CallOptions& options) const { return Call(env, options, config.timeouts().request); }

    const Config& configuration() const noexcept override { return config; }
    Call begin_call(const CallOptions& options) const override { return start_call(options); }
    std::uint64_t store_new_grant(const std::string& account, const Credentials& credentials) const override;

    // The hooks, on the calling thread with no lock held. on_refresh failures become
    // UserCallbackError; on_reauthorization_required failures are logged and ignored (the call
    // is about to fail with InvalidGrantError anyway).
    void notify_refreshed(const Credentials& credentials) const;
    void notify_reauthorization_required(std::string_view account) const noexcept;

    const Config config;
    const std::shared_ptr<TokenStore> store;
    const CallEnvironment env;
    const TokenEndpoint token_endpoint{config};
    AccountRegistry accounts;

private:
    std::function<void(const Credentials&)> on_refresh_;
    std::function<void(std::string_view)> on_reauthorization_required_;
};

}  // namespace calbridge::detail
