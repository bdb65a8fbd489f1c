// Scheduling: availability queries (POST /v1/availability), availability rules, and the other
// typed values of the calls a scheduling product makes (participation status, new calendars,
// elevated permissions). Results keep their raw JSON, like those of calbridge/api.hpp.
#pragma once

#include <calbridge/clock.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

// ---- availability ----------------------------------------------------------------------------

// One account taking part in an availability query, by its `sub` (acc_...). `calendar_ids`,
// when given, limits the calendars whose events count as busy.
struct AvailabilityMember {
    std::string sub;
    std::vector<std::string> calendar_ids;
};

// A group of members, of whom `required` must be free: all of them (std::nullopt, sent as
// "all") or that many (1..members.size()).
struct AvailabilityParticipants {
    std::vector<AvailabilityMember> members;
    std::optional<int> required;
};

// A span of time, start before end.
struct TimePeriod {
    WallTime start;
    WallTime end;
};

enum class AvailabilityFormat {
    periods,            // "available_periods" in the reply
    slots,              // "available_slots": back to back, each required_duration long
    overlapping_slots,  // "available_slots" starting every start_interval
};

// "periods", "slots", "overlapping_slots".
std::string_view availability_format_name(AvailabilityFormat format) noexcept;

// The query of POST /v1/availability. Durations go out in whole minutes (anything finer is an
// InvalidArgumentError, never rounded); times as RFC 3339 UTC, to the second.
struct AvailabilityQuery {
    std::vector<AvailabilityParticipants> participants;   // at least one group
    std::chrono::minutes required_duration{0};            // > 0
    std::vector<TimePeriod> available_periods;            // at least one
    std::optional<std::chrono::minutes> buffer_before;    // >= 0
    std::optional<std::chrono::minutes> buffer_after;     // >= 0
    std::optional<std::chrono::minutes> start_interval;   // > 0
    std::optional<int> max_results;                       // > 0
    AvailabilityFormat response_format = AvailabilityFormat::periods;

    // The request body. InvalidArgumentError (naming the field) for anything above broken.
    std::string to_json() const;

    // Reads a query in the request body's own form (what to_json writes; durations as
    // {"minutes": n} or {"hours": n}), for callers that hold JSON (the C API, Python).
    // InvalidArgumentError for anything that is not such a query; to_json() then checks the
    // values.
    static AvailabilityQuery from_json(std::string_view json);
};

// One available period or slot, and the accounts free in it.
struct AvailableTime {
    WallTime start;
    WallTime end;
    std::vector<std::string> participants;  // their subs
    std::string raw_json;
};

struct AvailabilityResult {
    std::vector<AvailableTime> available_periods;  // response_format periods
    std::vector<AvailableTime> available_slots;    // slots, overlapping_slots
    std::string raw_json;

    // Reads a reply body ({"available_periods": [...]} or {"available_slots": [...]}).
    // ProtocolError for another shape or an unreadable time.
    static AvailabilityResult from_json(std::string_view body);
};

// ---- availability rules ----------------------------------------------------------------------

// "monday".."sunday", and local times "09:00" in the rule's time zone.
struct WeeklyPeriod {
    std::string day;
    std::string start_time;
    std::string end_time;

    friend bool operator==(const WeeklyPeriod&, const WeeklyPeriod&) = default;
};

struct AvailabilityRule {
    std::string availability_rule_id;
    std::string tzid;
    std::vector<std::string> calendar_ids;
    std::vector<WeeklyPeriod> weekly_periods;
    std::string raw_json;  // of a rule the server returned

    // The upsert body (raw_json is not sent). InvalidArgumentError when availability_rule_id
    // or tzid is empty, or a weekly period has an empty field.
    std::string to_json() const;

    // Reads a rule object (the upsert body's form, or one the server returned; raw_json is the
    // text given). InvalidArgumentError when `json` is not a JSON object.
    static AvailabilityRule from_json(std::string_view json);
};

// ---- other account calls ---------------------------------------------------------------------

enum class ParticipationStatus { accepted, tentative, declined };

// "accepted", "tentative", "declined".
std::string_view participation_status_name(ParticipationStatus status) noexcept;

// One calendar of an elevated permissions request: permission_level "unrestricted" or
// "sandbox".
struct CalendarPermission {
    std::string calendar_id;
    std::string permission_level;
};

// The reply of POST /v1/permissions: when not accepted at once, send the user to `url`.
struct PermissionsRequest {
    bool accepted = false;
    std::string url;
    std::string raw_json;
};

}  // namespace calbridge
