// What the sandbox serves: applications (the intermediary's customers) and users (calendar
// accounts with profiles, calendars and events).
#pragma once

#include "settings.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace calbridge::sandbox {

struct Application {
    std::string client_id;
    std::string client_secret;
    std::string previous_client_secret;  // when set, pushes carry a second signature (rotation)
    std::string name;
    bool verified = false;  // verified: only registered redirect URIs; unverified: any, with a warning
    std::vector<std::string> redirect_uris;  // exact, or with a leading "*." host label
    PolicyOverrides overrides;
};

// A connected calendar service account (Google, Microsoft 365, ...).
struct Profile {
    std::string profile_id;     // pro_...
    std::string provider_name;  // google, office365, apple, exchange, ...
    std::string profile_name;   // usually the e-mail address at the provider
    bool connected = true;      // false after POST /v1/profiles/{id}/revoke: needs a relink
};

struct Calendar {
    std::string calendar_id;  // cal_...
    std::string profile_id;
    std::string calendar_name;
    bool readonly = false;
    bool primary = false;
    bool deleted = false;
    std::string permission_level = "unrestricted";  // or "sandbox"
};

struct Event {
    std::string calendar_id;
    std::string event_uid;   // the intermediary's id, evt_...
    std::string event_id;    // the application's id (upserted events only)
    std::string managed_by;  // client id of the application that upserted it, or empty
    std::string summary;
    std::string description;
    std::string start;       // as returned: "YYYY-MM-DD" (all day) or "YYYY-MM-DDTHH:MM:SSZ"
    std::string end;
    std::int64_t start_at = 0;  // Unix seconds (all-day events: 00:00 UTC)
    std::int64_t end_at = 0;
    std::string tzid;           // the time zone the event was given in, if any
    boost::json::value location;  // {"description": ...} or null
    std::string transparency = "opaque";  // opaque | transparent
    std::string status = "confirmed";     // confirmed | tentative | cancelled
    std::string participation_status = "accepted";  // accepted | tentative | declined | needs_action
    bool deleted = false;
    std::int64_t created = 0;
    std::int64_t updated = 0;
};

struct User {
    std::string account_id;  // acc_...
    std::string email;
    std::string name;
    std::string default_tzid = "Etc/UTC";
    std::vector<Profile> profiles;
    std::vector<Calendar> calendars;
    std::vector<Event> events;  // ordered by (start_at, event_uid)

    const Profile* profile(std::string_view id) const;
    Profile* profile(std::string_view id);
    const Calendar* calendar(std::string_view id) const;
    // A calendar the API shows: not deleted and on a connected profile.
    bool calendar_visible(const Calendar& c) const;
    void sort_events();
};

inline constexpr std::string_view known_scopes[] = {
    "read_account", "list_calendars", "read_events", "create_event", "delete_event",
    "read_free_busy", "create_calendar", "change_participation_status",
};

}  // namespace calbridge::sandbox
