// What the calendar API returns (docs/PROTOCOL.md §5), as typed results that also keep their raw
// JSON: a field calbridge does not know yet is one json parse of `raw_json` away.
//
// Fields the server leaves out read as empty (or false), and so does the typed value of a time
// that does not read (its text stays); a result only fails to read when its shape is wrong
// (e.g. "calendars" is not an array), with a ProtocolError.
#pragma once

#include <calbridge/clock.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
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

// An event's or free/busy period's start or end: a date (an all-day event, "2026-11-28") or an
// instant ("2026-11-28T09:00:00Z", "2026-11-28T10:00:00.250+01:00"), and the time zone when the
// {"time", "tzid"} form was used ("" otherwise).
//
// `time` is the text as the server sent it (or as it is sent); `value` is what it reads as.
// Reading a reply never fails on one odd time: a text that is neither an RFC 3339 date nor an
// RFC 3339 time (nor an instant WallTime can hold: 1677..2262; nor a local time without
// offset, which only a time zone database could place) keeps its `time` and has an empty
// `value` (std::monostate), like the other fields of a result that read as empty when
// oddly typed. Build the times of a NewEvent with at(), on() or parse(), which keep `time` and
// `value` in step.
struct EventTime {
    std::string time;
    std::string tzid;
    std::variant<std::monostate, std::chrono::year_month_day, WallTime> value;
    // Of an instant: the UTC offset its text was written in ("+01:00": 60 min; "Z": 0).
    std::chrono::minutes utc_offset{0};

    bool is_date() const noexcept { return std::holds_alternative<std::chrono::year_month_day>(value); }
    bool is_instant() const noexcept { return std::holds_alternative<WallTime>(value); }
    // The date of an all-day time, the instant of a timed one; nullptr otherwise.
    const std::chrono::year_month_day* date() const noexcept { return std::get_if<std::chrono::year_month_day>(&value); }
    const WallTime* instant() const noexcept { return std::get_if<WallTime>(&value); }

    // An instant, written in UTC ("Z") with as many fractional digits as it needs (none for
    // whole seconds).
    static EventTime at(WallTime instant, std::string tzid = {});
    // An all-day date, "YYYY-MM-DD". InvalidArgumentError for an invalid date or a year outside
    // 0..9999.
    static EventTime on(std::chrono::year_month_day date);
    // `text` as a date or an RFC 3339 time (the string form, kept as given).
    // InvalidArgumentError when it is neither.
    static EventTime parse(std::string_view text, std::string tzid = {});
    // The same without throwing: an empty `value` when the text is neither (how replies read).
    static EventTime read(std::string_view text, std::string tzid = {});

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
    std::string created;  // RFC 3339, as sent
    std::string updated;  // RFC 3339, as sent
    std::optional<WallTime> created_at;  // `created` read; std::nullopt when absent or unreadable
    std::optional<WallTime> updated_at;
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
// Unset options are not sent; booleans go out as "true"/"false". An invalid date is an
// InvalidArgumentError when the query is sent. parse_date() and parse_rfc3339()
// (calbridge/times.hpp) read the text forms.
struct EventsQuery {
    std::string tzid = "Etc/UTC";                     // required by the API
    std::optional<std::chrono::year_month_day> from;  // sent as "YYYY-MM-DD", inclusive
    std::optional<std::chrono::year_month_day> to;    // sent as "YYYY-MM-DD", exclusive
    std::vector<std::string> calendar_ids;            // sent as repeated calendar_ids[]
    std::optional<WallTime> last_modified;            // sent as RFC 3339 UTC, floored to the second
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
    EventTime start;  // EventTime::at/on/parse; "tzid" empty: sent as a plain string
    EventTime end;
    std::optional<std::string> tzid;      // the event's time zone
    std::optional<std::string> location;  // sent as {"location": {"description": ...}}

    // The request body, with start and end sent as their `time` text. InvalidArgumentError when
    // event_id or summary is empty, or start or end is not a date or an RFC 3339 time (or, with
    // a tzid, a local time without offset: "2026-11-28T09:00:00" in that zone).
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
