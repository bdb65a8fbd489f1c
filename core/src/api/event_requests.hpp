// The request side of the events calls: the query of GET /v1/events and /v1/free_busy, and
// the bodies of upsert and delete. Internal to the core.
#pragma once

#include <calbridge/api.hpp>
#include <calbridge/session.hpp>

#include <string>
#include <string_view>

namespace calbridge::detail {

// The query in docs/PROTOCOL.md §5's order, unset options left out. InvalidArgumentError for an
// empty tzid, an option set to "", or an empty calendar id.
QueryParams events_query(const EventsQuery& query);

// Checks an upsert body: a JSON object with a non-empty string "event_id" or "event_uid" (what
// makes the upsert idempotent, and so retryable). InvalidArgumentError otherwise.
void check_upsert_body(std::string_view event_json);

// {"event_id": "..."} or {"event_uid": "..."}.
std::string delete_event_body(std::string_view key, std::string_view value);

}  // namespace calbridge::detail
