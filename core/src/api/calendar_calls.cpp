// The calendar API calls of Session (docs/PROTOCOL.md §4-5), each one logical call.
#include <calbridge/session.hpp>
#include <calbridge/errors.hpp>

#include "api/api_url.hpp"
#include "api/callers.hpp"
#include "api/event_requests.hpp"
#include "api/page_cursor.hpp"
#include "api/results.hpp"

#include <boost/json/value.hpp>

namespace calbridge {

using detail::Replay;

namespace {

std::string api_path(const Config& config, std::string_view path) { return config.api_url() + std::string(path); }

// "/v1/calendars/{calendar_id}/events", the id one encoded segment.
std::string calendar_events_url(const Config& config, std::string_view calendar_id) {
    if (calendar_id.empty()) throw InvalidArgumentError("calendar_id is empty");
    return api_path(config, "/v1/calendars/" + detail::path_segment("calendar_id", calendar_id) + "/events");
}

}  // namespace

std::vector<Calendar> Session::calendars(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", api_path(config, "/v1/calendars")),
                                    Replay::idempotent, options);
    return detail::read_calendars(reply.body);
}

Pages<Event> Session::events(const EventsQuery& query, const CallOptions& options) const {
    const Config& config = caller()->configuration();
    std::string url = detail::with_query(api_path(config, "/v1/events"), detail::events_query(query));
    return Pages<Event>(
        std::make_unique<detail::PageCursor>(caller(), std::move(url), "events", "read events", options));
}

Pages<FreeBusyPeriod> Session::free_busy(const EventsQuery& query, const CallOptions& options) const {
    const Config& config = caller()->configuration();
    std::string url = detail::with_query(api_path(config, "/v1/free_busy"), detail::events_query(query));
    return Pages<FreeBusyPeriod>(
        std::make_unique<detail::PageCursor>(caller(), std::move(url), "free_busy", "free/busy", options));
}

void Session::upsert_event(std::string_view calendar_id, std::string_view event_json,
                           const CallOptions& options) const {
    const Config& config = caller()->configuration();
    std::string url = calendar_events_url(config, calendar_id);
    detail::check_upsert_body(event_json);
    // Idempotent by event_id: the same upsert twice leaves the same event, so it is retried.
    caller()->send(detail::api_request(config, "POST", std::move(url), event_json), Replay::idempotent, options);
}

void Session::upsert_event(std::string_view calendar_id, const NewEvent& event, const CallOptions& options) const {
    upsert_event(calendar_id, event.to_json(), options);
}

void Session::delete_event(std::string_view calendar_id, std::string_view event_id,
                           const CallOptions& options) const {
    const Config& config = caller()->configuration();
    std::string url = calendar_events_url(config, calendar_id);
    const std::string body = detail::delete_event_body("event_id", event_id);
    caller()->send(detail::api_request(config, "DELETE", std::move(url), body), Replay::idempotent, options);
}

void Session::delete_external_event(std::string_view calendar_id, std::string_view event_uid,
                                    const CallOptions& options) const {
    const Config& config = caller()->configuration();
    std::string url = calendar_events_url(config, calendar_id);
    const std::string body = detail::delete_event_body("event_uid", event_uid);
    caller()->send(detail::api_request(config, "DELETE", std::move(url), body), Replay::idempotent, options);
}

Account Session::account(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", api_path(config, "/v1/account")),
                                    Replay::idempotent, options);
    return detail::read_account(reply.body);
}

UserInfo Session::userinfo(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", api_path(config, "/v1/userinfo")),
                                    Replay::idempotent, options);
    return detail::read_userinfo(reply.body);
}

std::vector<Profile> Session::profiles(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", api_path(config, "/v1/profiles")),
                                    Replay::idempotent, options);
    return detail::read_profiles(reply.body);
}

void Session::revoke_profile(std::string_view profile_id, const CallOptions& options) const {
    if (profile_id.empty()) throw InvalidArgumentError("profile_id is empty");
    const Config& config = caller()->configuration();
    std::string url =
        api_path(config, "/v1/profiles/" + detail::path_segment("profile_id", profile_id) + "/revoke");
    caller()->send(detail::api_request(config, "POST", std::move(url)), Replay::if_not_sent, options);
}

Secret Session::create_link_token(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "POST", api_path(config, "/v1/link_tokens")),
                                    Replay::if_not_sent, options);
    const auto body = detail::parse_reply_object(reply.body, "create link token");
    const auto* token = body.if_contains("link_token");
    if (token == nullptr || !token->is_string() || token->get_string().empty()) {
        throw ProtocolError("create link token: the reply has no \"link_token\"");
    }
    return Secret(std::string(token->get_string()));
}

}  // namespace calbridge
