// What a Session handle shares with its copies and its page cursors. Internal to the core.
#pragma once

#include <calbridge/session.hpp>
#include <calbridge/transport.hpp>

#include "api/callers.hpp"
#include "call/call_policy.hpp"
#include "session/account_state.hpp"
#include "session/client_state.hpp"

#include <memory>

namespace calbridge::detail {

// The calendar calls (api/) see it as an AuthorizedCaller.
struct SessionState final : AuthorizedCaller {
    SessionState(std::shared_ptr<ClientState> client_state, std::shared_ptr<AccountState> account_state) noexcept
        : client(std::move(client_state)), account(std::move(account_state)) {}

    std::shared_ptr<ClientState> client;
    std::shared_ptr<AccountState> account;

    const Config& configuration() const noexcept override { return client->config; }

    HttpResponse send(HttpRequest request, Replay replay, const CallOptions& options) const override;
    HttpResponse send(Call& call, HttpRequest request, Replay replay) const;
};

}  // namespace calbridge::detail
