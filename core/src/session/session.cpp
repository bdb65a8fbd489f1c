#include <calbridge/session.hpp>

#include "session/session_state.hpp"

namespace calbridge {

Session::Session(std::shared_ptr<detail::SessionState> state) noexcept : state_(std::move(state)) {}

std::shared_ptr<const detail::AuthorizedCaller> Session::caller() const noexcept { return state_; }

const std::string& Session::account_key() const noexcept { return state_->account->account(); }

Credentials Session::credentials(const CallOptions& options) const {
    detail::Call call = state_->client->start_call(options);
    return state_->account->credentials(*state_->client, call);
}

}  // namespace calbridge
