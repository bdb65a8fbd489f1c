// What the calendar API returns (docs/PROTOCOL.md §5), as typed results that also keep their raw
// JSON: a field calbridge does not know yet is one json parse of `raw_json` away.
//
// Fields the server leaves out read as empty (or false); a result only fails to read when its
// shape is wrong (e.g. "calendars" is not an array), with a ProtocolError.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace calbridge {

struct Calendar {
    std::string provider_name;
    std::string profile_id;
    std::string profile_name;
    std::string calendar_id;
    std::string calendar_name;
    bool readonly = false;  // "calendar_readonly"
    bool deleted = false;   // "calendar_deleted"
    bool primary = false;   // "calendar_primary"
    std::string permission_level;
    std::string raw_json;
};

// An event's start or end as the server gave it: a date ("2026-11-28", an all-day event) or a
// time ("2026-11-28T09:00:00Z"), and the time zone when the server sent the {"time", "tzid"}
// form ("" otherwise).
struct EventTime {
    std::string time;
    std::string tzid;

    friend bool operator==(const EventTime&, const EventTime&) = default;
};

struct Event {
    std::string calendar_id;
    std::string event_uid;  // the provider's id, present for every event
    std::string event_id;   // the application's id; only for events the application manages
    std::string summary;
    std::string description;
    EventTime start;
    EventTime end;
    bool deleted = false;
    std::string created;  // RFC 3339
    std::string updated;  // RFC 3339
    std::string location;  // "location": {"description": ...}
    std::string participation_status;
    std::string transparency;
    std::string status;
    bool recurring = false;
    std::string raw_json;
};

struct FreeBusyPeriod {
    std::string calendar_id;
    EventTime start;
    EventTime end;
    std::string free_busy_status;  // "tentative", "busy", "free", "unknown"
    std::string raw_json;
};

struct Account {
    std::string account_id;
    std::string email;
    std::string name;
    std::vector<std::string> scope;
    std::string default_tzid;
    std::string raw_json;
};

struct Profile {
    std::string provider_name;
    std::string profile_id;
    std::string profile_name;
    // False when the user must relink the profile at `relink_url`: show them the link.
    bool connected = true;
    std::optional<std::string> relink_url;
    std::string raw_json;
};

struct UserInfo {
    std::string sub;
    std::string email;
    std::string name;
    std::string zoneinfo;
    std::string type;               // "cronofy.type"
    std::vector<Profile> profiles;  // "cronofy.data": {"profiles": [...]}
    std::string raw_json;
};

// The query of GET /v1/events and GET /v1/free_busy (free/busy ignores what it does not know).
// Unset options are not sent; booleans go out as "true"/"false".
struct EventsQuery {
    std::string tzid = "Etc/UTC";          // required by the API
    std::optional<std::string> from;       // "YYYY-MM-DD"
    std::optional<std::string> to;         // "YYYY-MM-DD"
    std::vector<std::string> calendar_ids;  // sent as repeated calendar_ids[]
    std::optional<std::string> last_modified;  // RFC 3339
    std::optional<bool> include_managed;
    std::optional<bool> only_managed;
    std::optional<bool> include_deleted;
    std::optional<bool> include_moved;
    std::optional<bool> localized_times;
};

// An event to create or update (POST /v1/calendars/{calendar_id}/events), for the common
// fields; for anything else pass the JSON text to Session::upsert_event directly.
struct NewEvent {
    std::string event_id;  // the application's id: makes the upsert idempotent, so it is retried
    std::string summary;
    std::string description;
    EventTime start;  // "tzid" empty: sent as a plain string
    EventTime end;
    std::optional<std::string> tzid;      // the event's time zone
    std::optional<std::string> location;  // sent as {"location": {"description": ...}}

    // The request body. InvalidArgumentError when event_id, summary, start or end is empty.
    std::string to_json() const;
};

namespace detail {
class PageCursor;
}

// The pages of a paged result (events, free/busy), fetched one at a time: next() fetches the
// first page, then follows the reply's "next_page" URL exactly as given, and only on the API
// host's origin (another origin is a ProtocolError and nothing is sent there: the bearer token
// never leaves the API host). Each fetch is one logical call with its own deadline (unless the
// options gave an absolute one) and retry budget.
//
// Not thread-safe: one consumer at a time. Move-only. Keeps its Session alive.
template <class Item>
class Pages {
public:
    Pages(Pages&&) noexcept;
    Pages& operator=(Pages&&) noexcept;
    ~Pages();

    // The next page's items; std::nullopt once the last page has been returned. A failed fetch
    // throws and may be tried again by calling next() again.
    std::optional<std::vector<Item>> next();

    // Every item of the remaining pages.
    std::vector<Item> all();

    // From the last page fetched ("pages": {"current", "total"}); 0 before the first fetch
    // or when the server does not say.
    int current_page() const noexcept;
    int total_pages() const noexcept;

private:
    friend class Session;
    explicit Pages(std::unique_ptr<detail::PageCursor> cursor) noexcept;
    std::unique_ptr<detail::PageCursor> cursor_;
};

extern template class Pages<Event>;
extern template class Pages<FreeBusyPeriod>;

}  // namespace calbridge
