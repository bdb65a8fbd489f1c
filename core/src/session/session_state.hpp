// What a Session handle shares with its copies and its page cursors. Internal to the core.
#pragma once

#include <calbridge/session.hpp>
#include <calbridge/transport.hpp>

#include "call/call_policy.hpp"
#include "session/account_state.hpp"
#include "session/client_state.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge::detail {

struct SessionState {
    std::shared_ptr<ClientState> client;
    std::shared_ptr<AccountState> account;

    // One logical API call: `request` (without Authorization) sent with the account's token,
    // renewing it first when it is about to expire, and once more after a 401 (only if the
    // token that got the 401 is still the current one; otherwise just again with the current
    // token). Returns a 2xx reply; any other status is thrown as its typed error.
    HttpResponse send(HttpRequest request, Replay replay, const CallOptions& options) const;
    HttpResponse send(Call& call, HttpRequest request, Replay replay) const;
};

// A request to the API host with the headers every API call carries (Accept, User-Agent, and
// Content-Type when there is a JSON body); the session adds Authorization.
HttpRequest api_request(const Config& config, std::string_view method, std::string url,
                        std::optional<std::string_view> json_body = std::nullopt);

}  // namespace calbridge::detail
