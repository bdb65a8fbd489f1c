// What the calls of api/ need from the session layer, and nothing more: session/ implements
// these (SessionState, ClientState), so api/ never includes session/ (docs/ARCHITECTURE.md
// "Layers"). Internal to the core.
#pragma once

#include <calbridge/call_options.hpp>
#include <calbridge/config.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/transport.hpp>

#include "call/call_policy.hpp"

#include <cstdint>

namespace calbridge::detail {

// One account's session: requests sent with its bearer token.
class AuthorizedCaller {
public:
    virtual ~AuthorizedCaller() = default;

    virtual const Config& configuration() const noexcept = 0;

    // One logical API call: `request` (without Authorization) sent with the account's token,
    // renewing it first when it is about to expire, and once more after a 401 (only if the
    // token that got the 401 is still the current one; otherwise just again with the current
    // token). Returns a 2xx reply; any other status is thrown as its typed error.
    virtual HttpResponse send(HttpRequest request, Replay replay, const CallOptions& options) const = 0;
};

// The client: calls authenticated with the client secret, and where their grants go.
class ApplicationCaller {
public:
    virtual ~ApplicationCaller() = default;

    virtual const Config& configuration() const noexcept = 0;

    // A logical call with the options' deadline (default: the configured request timeout).
    virtual Call begin_call(const CallOptions& options) const = 0;

    // Stores the credentials of a new grant under `account` (they win over whatever the store
    // had) and hands them to the live sessions of that account; returns the stored version.
    virtual std::uint64_t store_new_grant(const std::string& account, const Credentials& credentials) const = 0;
};

}  // namespace calbridge::detail
