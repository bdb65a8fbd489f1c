// One user's live connection to their calendars: the access token kept fresh, and the calendar
// API (docs/PROTOCOL.md §5) called with it.
//
// A Session is a handle: copies share one state, and it is safe to use from many threads at
// once. Sessions that one Client made for the same account share that account's token state,
// so many threads with an expired token cause exactly one refresh, while ordinary calls run in
// parallel. What a call does with the token (docs/ARCHITECTURE.md "Tokens are never lost"):
//  - proactive refresh when the access token expires within the configured leeway;
//  - before refreshing, it re-reads the store and adopts newer credentials instead;
//  - a refresh writes the new credentials to the store (compare-and-swap on the version it
//    read) before the new access token is used. If that write fails the call fails with a
//    StoreError and the new credentials are kept in memory: the next call writes them first,
//    without refreshing again;
//  - on invalid_grant it re-reads the store before declaring "reauthorization required" (an
//    InvalidGrantError, after the client's on_reauthorization_required hook);
//  - a 401 leads to a refresh only if the token that got it is still the current one (another
//    thread may have replaced it already), then one retry; a second 401 is an
//    AuthenticationError.
// Every call has one deadline and one retry budget (see CallOptions).
#pragma once

#include <calbridge/api.hpp>
#include <calbridge/call_options.hpp>
#include <calbridge/clock.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/scheduling.hpp>
#include <calbridge/push.hpp>
#include <calbridge/secret.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calbridge {

// Query parameters of a generic request, in order; repeated keys are allowed. Keys and values
// are given decoded and are percent-encoded on the way out.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

namespace detail {
struct SessionState;
class AuthorizedCaller;
}

class Session {
public:
    // The key the account's credentials are stored under (account_id, else sub).
    const std::string& account_key() const noexcept;

    // The current credentials (loading them from the store on first use, refreshing them when
    // they are about to expire).
    Credentials credentials(const CallOptions& options = {}) const;

    std::vector<Calendar> calendars(const CallOptions& options = {}) const;

    // Nothing is fetched until the first Pages::next().
    Pages<Event> events(const EventsQuery& query, const CallOptions& options = {}) const;
    Pages<FreeBusyPeriod> free_busy(const EventsQuery& query, const CallOptions& options = {}) const;

    // `event_json` is sent as given; it must be a JSON object with an "event_id" (or, for an
    // event the application does not manage, an "event_uid"), which makes the upsert
    // idempotent and so safe to retry. InvalidArgumentError otherwise.
    void upsert_event(std::string_view calendar_id, std::string_view event_json,
                      const CallOptions& options = {}) const;
    void upsert_event(std::string_view calendar_id, const NewEvent& event, const CallOptions& options = {}) const;

    // DELETE /v1/calendars/{calendar_id}/events with {"event_id": ...}.
    void delete_event(std::string_view calendar_id, std::string_view event_id, const CallOptions& options = {}) const;
    // The same with {"event_uid": ...}, for an event the application does not manage.
    void delete_external_event(std::string_view calendar_id, std::string_view event_uid,
                               const CallOptions& options = {}) const;

    Account account(const CallOptions& options = {}) const;
    UserInfo userinfo(const CallOptions& options = {}) const;
    std::vector<Profile> profiles(const CallOptions& options = {}) const;

    // POST /v1/profiles/{profile_id}/revoke: disconnects one calendar profile.
    void revoke_profile(std::string_view profile_id, const CallOptions& options = {}) const;

    // POST /v1/link_tokens: pass the result (reveal()) as AuthorizationOptions::link_token to
    // add another calendar account to this user.
    Secret create_link_token(const CallOptions& options = {}) const;

    // Push notification channels (calbridge/push.hpp). create_channel checks the callback URL
    // first (check_channel_callback_url: InvalidArgumentError, nothing sent); it is retried
    // only when the request never left this machine, since a second POST makes a second
    // channel. close_channel: InvalidArgumentError for an empty id.
    Channel create_channel(std::string_view callback_url, const std::optional<ChannelFilters>& filters = std::nullopt,
                           const CallOptions& options = {}) const;
    std::vector<Channel> list_channels(const CallOptions& options = {}) const;
    void close_channel(std::string_view channel_id, const CallOptions& options = {}) const;

    // Any API call: `path_or_url` is a path on the API host ("/v1/calendars") or an absolute URL
    // on its origin (anything else is an InvalidArgumentError: the bearer token never leaves the
    // API host). `json_body`, when given, is sent as application/json. Returns the reply's body,
    // which must be JSON or empty (ProtocolError otherwise). Only GET, HEAD, PUT and
    // DELETE are retried; any other method (POST, PATCH, OPTIONS, ...) only when the request
    // never left this machine.
    std::string request(std::string_view method, std::string_view path_or_url, const QueryParams& query = {},
                        std::optional<std::string_view> json_body = std::nullopt,
                        const CallOptions& options = {}) const;

    // ---- scheduling and the other account calls (calbridge/scheduling.hpp) ----

    // POST /v1/availability with this account's token. A query has no side effects, so it is
    // retried like a GET. InvalidArgumentError for a broken query, before anything is sent.
    AvailabilityResult availability(const AvailabilityQuery& query, const CallOptions& options = {}) const;

    // POST /v1/calendars/{calendar_id}/events/{event_uid}/participation_status.
    void change_participation_status(std::string_view calendar_id, std::string_view event_uid,
                                     ParticipationStatus status, const CallOptions& options = {}) const;

    // POST /v1/calendars {"profile_id", "name"}: the new calendar (needs scope create_calendar).
    // Not retried once sent (a second one would be a second calendar).
    Calendar create_calendar(std::string_view profile_id, std::string_view name,
                             const CallOptions& options = {}) const;

    // DELETE /v1/events {"delete_all": true}: every event the application manages, everywhere.
    void delete_all_events(const CallOptions& options = {}) const;
    // DELETE /v1/events {"calendar_ids": [...]}: those the application manages in these
    // calendars (at least one id).
    void delete_all_events(const std::vector<std::string>& calendar_ids, const CallOptions& options = {}) const;

    // /v1/availability_rules: upsert (by availability_rule_id, so retried), list, get, delete.
    AvailabilityRule upsert_availability_rule(const AvailabilityRule& rule, const CallOptions& options = {}) const;
    std::vector<AvailabilityRule> availability_rules(const CallOptions& options = {}) const;
    AvailabilityRule availability_rule(std::string_view availability_rule_id, const CallOptions& options = {}) const;
    void delete_availability_rule(std::string_view availability_rule_id, const CallOptions& options = {}) const;

    // POST /v1/permissions: asks for elevated permissions on calendars; unless accepted at
    // once, the user approves at the returned url (then comes back to `redirect_uri`).
    PermissionsRequest request_elevated_permissions(const std::vector<CalendarPermission>& permissions,
                                                    std::optional<std::string_view> redirect_uri = std::nullopt,
                                                    const CallOptions& options = {}) const;

private:
    friend class Client;
    explicit Session(std::shared_ptr<detail::SessionState> state) noexcept;
    // What the calendar calls see of the state (they are defined apart from it).
    std::shared_ptr<const detail::AuthorizedCaller> caller() const noexcept;
    std::shared_ptr<detail::SessionState> state_;
};

}  // namespace calbridge
