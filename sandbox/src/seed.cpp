#include "seed.hpp"

#include "crypto.hpp"
#include "times.hpp"

namespace calbridge::sandbox {

Application default_application() {
    Application app;
    app.client_id = std::string(default_client_id);
    app.client_secret = std::string(default_client_secret);
    app.name = "Sandbox Scheduling App";
    app.verified = false;
    app.redirect_uris = {"http://localhost:8080/callback", "http://127.0.0.1:8080/callback"};
    return app;
}

std::vector<Event> generate_events(const std::string& calendar_id, int count, std::int64_t now) {
    static constexpr const char* topics[] = {"Planning", "1:1", "Design review", "Standup", "Customer call",
                                             "Lunch", "Interview", "Retrospective", "Focus time"};
    static constexpr int hours[] = {9, 13, 16};
    const std::int64_t first_day = now - now % seconds_per_day - 28 * seconds_per_day;
    std::vector<Event> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        Event e;
        e.calendar_id = calendar_id;
        e.event_uid = "evt_external_" + random_hex(24);
        e.summary = std::string(topics[i % 9]) + " (event " + std::to_string(i + 1) + ")";
        e.description = "Seeded by calbridge-sandbox.";
        e.start_at = first_day + (i / 3) * seconds_per_day + hours[i % 3] * 3600;
        e.end_at = e.start_at + 3600;
        e.start = format_rfc3339(e.start_at);
        e.end = format_rfc3339(e.end_at);
        if (i % 5 == 0) {
            boost::json::object loc;
            loc["description"] = "Room " + std::to_string(100 + i % 7);
            e.location = std::move(loc);
        }
        if (i % 10 == 9) e.transparency = "transparent";
        if (i % 25 == 24) e.status = "tentative";
        e.created = now - 30 * seconds_per_day;
        e.updated = e.created;
        out.push_back(std::move(e));
    }
    return out;
}

User default_user(std::int64_t now) {
    User u;
    u.account_id = "acc_sandbox_ada";
    u.email = "ada@example.com";
    u.name = "Ada Lovelace";
    u.default_tzid = "Etc/UTC";
    u.profiles = {
        {"pro_sandbox_google", "google", "ada@example.com", true},
        {"pro_sandbox_office365", "office365", "ada@work.example.com", true},
    };
    u.calendars = {
        {"cal_sandbox_primary", "pro_sandbox_google", "Ada Lovelace", false, true, false, "unrestricted"},
        {"cal_sandbox_holidays", "pro_sandbox_google", "Holidays", true, false, false, "unrestricted"},
        {"cal_sandbox_work", "pro_sandbox_office365", "Work", false, true, false, "unrestricted"},
    };
    u.events = generate_events("cal_sandbox_primary", default_event_count, now);
    // A few events elsewhere, so that calendar_ids[] filtering has something to filter.
    for (auto& e : generate_events("cal_sandbox_work", 6, now)) {
        e.summary = "Work: " + e.summary;
        e.start_at += 1800;
        e.end_at += 1800;
        e.start = format_rfc3339(e.start_at);
        e.end = format_rfc3339(e.end_at);
        u.events.push_back(std::move(e));
    }
    Event holiday;
    holiday.calendar_id = "cal_sandbox_holidays";
    holiday.event_uid = "evt_external_" + random_hex(24);
    holiday.summary = "Company holiday";
    holiday.start_at = now - now % seconds_per_day + 7 * seconds_per_day;
    holiday.end_at = holiday.start_at + seconds_per_day;
    holiday.start = format_date(holiday.start_at);
    holiday.end = format_date(holiday.end_at);
    holiday.transparency = "transparent";
    holiday.created = holiday.updated = now - 30 * seconds_per_day;
    u.events.push_back(std::move(holiday));
    u.sort_events();
    return u;
}

}  // namespace calbridge::sandbox
