// Reading events (the query of GET /v1/events and /v1/free_busy), writing them as the API
// returns them, and checking the body of an upsert.
#pragma once

#include "json_util.hpp"
#include "model.hpp"
#include "request.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace calbridge::sandbox {

struct EventQuery {
    std::string tzid;
    std::int64_t from = 0;  // 00:00 UTC of `from`
    std::int64_t to = 0;    // 00:00 UTC of `to` (exclusive)
    std::vector<std::string> calendar_ids;  // empty: every calendar
    std::optional<std::int64_t> last_modified;
    bool include_deleted = false;
    bool include_managed = false;
    bool only_managed = false;
    bool include_moved = false;
    bool localized_times = false;
};

// From the query string; 422 field errors when a parameter is missing or malformed.
std::variant<EventQuery, std::vector<FieldError>> read_event_query(const Params& query, std::int64_t now);
json::object write_event_query(const EventQuery& q);
EventQuery read_stored_event_query(const json::object& o);

// The events of `user` the query selects for application `client_id`, in start order.
std::vector<const Event*> select_events(const User& user, const EventQuery& query, std::string_view client_id);
// Free/busy: the same selection without transparent and cancelled events.
std::vector<const Event*> select_busy(const User& user, const EventQuery& query, std::string_view client_id);

json::object write_event(const Event& event, const User& user);
json::object write_free_busy(const Event& event);

// An event's time: "YYYY-MM-DD", RFC 3339 with an offset, or {"time": ..., "tzid": ...}.
struct EventTime {
    std::string text;  // as stored and returned
    std::int64_t at = 0;
    bool all_day = false;
    std::string tzid;
};
std::optional<EventTime> read_event_time(const json::value& v);

// The upsert body (and the events of provisioned users): field errors, or the event with
// its calendar_id, event_id and timestamps left for the caller.
std::variant<Event, std::vector<FieldError>> read_event(const json::object& body, bool require_event_id);

bool valid_tzid(std::string_view tzid);

}  // namespace calbridge::sandbox
