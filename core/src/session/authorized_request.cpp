// Sending an API request with the account's bearer token, and the one retry after a 401.
#include "session/session_state.hpp"

#include "call/http_errors.hpp"
#include "log/redactor.hpp"
#include "util/crypto.hpp"

namespace calbridge::detail {

namespace {

// The bearer token goes into a copy of the request; this wipes it when the call is over.
class AuthorizationHeader {
public:
    explicit AuthorizationHeader(HttpRequest& request) : request_(request) {
        request_.headers.insert(request_.headers.begin(), HttpHeader{"Authorization", {}});
    }
    ~AuthorizationHeader() { wipe(); }
    AuthorizationHeader(const AuthorizationHeader&) = delete;
    AuthorizationHeader& operator=(const AuthorizationHeader&) = delete;

    void set(const Secret& token) {
        wipe();
        request_.headers.front().value = "Bearer " + token.reveal();
    }

private:
    void wipe() noexcept {
        std::string& value = request_.headers.front().value;
        if (!value.empty()) secure_wipe(value.data(), value.size());
        value.clear();
    }
    HttpRequest& request_;
};

bool is_success(int status) noexcept { return status >= 200 && status < 300; }

}  // namespace

HttpResponse SessionState::send(HttpRequest request, Replay replay, const CallOptions& options) const {
    Call call = client->start_call(options);
    return send(call, std::move(request), replay);
}

HttpResponse SessionState::send(Call& call, HttpRequest request, Replay replay) const {
    AuthorizationHeader authorization(request);
    Lease lease = account->acquire(*client, call);
    bool retried_after_401 = false;
    for (;;) {
        authorization.set(lease.access_token);
        HttpResponse response = call.send(request, replay);
        if (is_success(response.status)) return response;

        // The server did not act on a request it could not authenticate, so even a POST may go
        // again, once, out of the call's retry budget.
        if (response.status == 401 && !retried_after_401 && call.take_retry()) {
            retried_after_401 = true;
            call.log()(LogLevel::debug, [&] {
                return describe(request) + ": HTTP 401 for account " + account->account() + "; retrying with a " +
                       "renewed or replaced token";
            });
            lease = account->after_rejection(*client, call, lease.generation);
            continue;
        }
        Redactor redactor;
        redactor.add(lease.access_token);
        redactor.add(client->config.client_secret());
        try {
            throw_http_error(request, response, redactor, call.wall_now());
        } catch (const Error& e) {
            call.log()(LogLevel::debug, [&] { return std::string(e.what()); });
            throw;
        }
    }
}

}  // namespace calbridge::detail
