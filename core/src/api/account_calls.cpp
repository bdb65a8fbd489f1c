// The other account calls products make (docs/PROTOCOL.md §8): participation status, new
// calendars, deleting every managed event, availability rules, elevated permissions. Each is
// one logical call with the account's token.
#include <calbridge/errors.hpp>
#include <calbridge/scheduling.hpp>
#include <calbridge/session.hpp>

#include "api/api_url.hpp"
#include "api/callers.hpp"
#include "api/results.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge {

namespace json = boost::json;
using detail::Replay;

namespace {

std::string text(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

void require(std::string_view value, std::string_view name) {
    if (value.empty()) throw InvalidArgumentError(std::string(name) + " is empty");
}

AvailabilityRule read_rule(const json::object& item) {
    AvailabilityRule rule;
    rule.availability_rule_id = text(item, "availability_rule_id");
    rule.tzid = text(item, "tzid");
    if (const auto* ids = item.if_contains("calendar_ids"); ids != nullptr && ids->is_array()) {
        for (const auto& id : ids->get_array()) {
            if (id.is_string()) rule.calendar_ids.emplace_back(id.get_string());
        }
    }
    if (const auto* periods = item.if_contains("weekly_periods"); periods != nullptr && periods->is_array()) {
        for (const auto& p : periods->get_array()) {
            if (!p.is_object()) continue;
            const auto& o = p.get_object();
            rule.weekly_periods.push_back({text(o, "day"), text(o, "start_time"), text(o, "end_time")});
        }
    }
    rule.raw_json = json::serialize(item);
    return rule;
}

// {"availability_rule": {...}}
AvailabilityRule read_rule_reply(std::string_view body, std::string_view what) {
    const json::object reply = detail::parse_reply_object(body, what);
    const auto* rule = reply.if_contains("availability_rule");
    if (rule == nullptr || !rule->is_object()) {
        throw ProtocolError(std::string(what) + ": the reply has no \"availability_rule\" object");
    }
    return read_rule(rule->get_object());
}

std::string rule_url(const Config& config, std::string_view availability_rule_id) {
    require(availability_rule_id, "availability_rule_id");
    return config.api_url() + "/v1/availability_rules/" +
           detail::path_segment("availability_rule_id", availability_rule_id);
}

}  // namespace

std::string_view participation_status_name(ParticipationStatus status) noexcept {
    switch (status) {
    case ParticipationStatus::accepted: return "accepted";
    case ParticipationStatus::tentative: return "tentative";
    case ParticipationStatus::declined: return "declined";
    }
    return "accepted";
}

AvailabilityRule AvailabilityRule::from_json(std::string_view text) {
    boost::system::error_code ec;
    const json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) throw InvalidArgumentError("an availability rule must be a JSON object");
    AvailabilityRule rule = read_rule(root.get_object());
    rule.raw_json = std::string(text);
    return rule;
}

std::string AvailabilityRule::to_json() const {
    require(availability_rule_id, "availability_rule_id");
    require(tzid, "tzid");
    json::array ids;
    for (const auto& id : calendar_ids) {
        require(id, "a calendar id");
        ids.emplace_back(id);
    }
    json::array periods;
    for (const auto& p : weekly_periods) {
        if (p.day.empty() || p.start_time.empty() || p.end_time.empty()) {
            throw InvalidArgumentError("a weekly period needs day, start_time and end_time");
        }
        json::object o;
        o["day"] = p.day;
        o["start_time"] = p.start_time;
        o["end_time"] = p.end_time;
        periods.emplace_back(std::move(o));
    }
    json::object body;
    body["availability_rule_id"] = availability_rule_id;
    body["tzid"] = tzid;
    if (!calendar_ids.empty()) body["calendar_ids"] = std::move(ids);
    body["weekly_periods"] = std::move(periods);
    return json::serialize(body);
}

void Session::change_participation_status(std::string_view calendar_id, std::string_view event_uid,
                                          ParticipationStatus status, const CallOptions& options) const {
    require(calendar_id, "calendar_id");
    require(event_uid, "event_uid");
    const Config& config = caller()->configuration();
    std::string url = config.api_url() + "/v1/calendars/" + detail::path_segment("calendar_id", calendar_id) +
                      "/events/" + detail::path_segment("event_uid", event_uid) + "/participation_status";
    json::object body;
    body["status"] = participation_status_name(status);
    // Setting a status twice leaves the same status.
    caller()->send(detail::api_request(config, "POST", std::move(url), json::serialize(body)), Replay::idempotent,
                 options);
}

Calendar Session::create_calendar(std::string_view profile_id, std::string_view name,
                                  const CallOptions& options) const {
    require(profile_id, "profile_id");
    require(name, "name");
    const Config& config = caller()->configuration();
    json::object body;
    body["profile_id"] = profile_id;
    body["name"] = name;
    const auto reply = caller()->send(
        detail::api_request(config, "POST", config.api_url() + "/v1/calendars", json::serialize(body)),
        Replay::if_not_sent, options);
    const json::object parsed = detail::parse_reply_object(reply.body, "create calendar");
    const auto* calendar = parsed.if_contains("calendar");
    if (calendar == nullptr || !calendar->is_object()) {
        throw ProtocolError("create calendar: the reply has no \"calendar\" object");
    }
    return detail::read_calendar(calendar->get_object());
}

void Session::delete_all_events(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    caller()->send(detail::api_request(config, "DELETE", config.api_url() + "/v1/events", R"({"delete_all":true})"),
                 Replay::idempotent, options);
}

void Session::delete_all_events(const std::vector<std::string>& calendar_ids, const CallOptions& options) const {
    // An empty list must not be read as "everything" by anyone along the way.
    if (calendar_ids.empty()) throw InvalidArgumentError("calendar_ids is empty (delete_all_events() deletes all)");
    json::array ids;
    for (const auto& id : calendar_ids) {
        require(id, "a calendar id");
        ids.emplace_back(id);
    }
    json::object body;
    body["calendar_ids"] = std::move(ids);
    const Config& config = caller()->configuration();
    caller()->send(detail::api_request(config, "DELETE", config.api_url() + "/v1/events", json::serialize(body)),
                 Replay::idempotent, options);
}

AvailabilityRule Session::upsert_availability_rule(const AvailabilityRule& rule, const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(
        detail::api_request(config, "POST", config.api_url() + "/v1/availability_rules", rule.to_json()),
        Replay::idempotent, options);  // an upsert by id
    return read_rule_reply(reply.body, "upsert availability rule");
}

std::vector<AvailabilityRule> Session::availability_rules(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", config.api_url() + "/v1/availability_rules"),
                                    Replay::idempotent, options);
    const json::object parsed = detail::parse_reply_object(reply.body, "list availability rules");
    std::vector<AvailabilityRule> out;
    for (const auto& item : detail::array_of_objects(parsed, "availability_rules", "list availability rules")) {
        out.push_back(read_rule(item.get_object()));
    }
    return out;
}

AvailabilityRule Session::availability_rule(std::string_view availability_rule_id, const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", rule_url(config, availability_rule_id)),
                                    Replay::idempotent, options);
    return read_rule_reply(reply.body, "get availability rule");
}

void Session::delete_availability_rule(std::string_view availability_rule_id, const CallOptions& options) const {
    const Config& config = caller()->configuration();
    caller()->send(detail::api_request(config, "DELETE", rule_url(config, availability_rule_id)), Replay::idempotent,
                 options);
}

PermissionsRequest Session::request_elevated_permissions(const std::vector<CalendarPermission>& permissions,
                                                         std::optional<std::string_view> redirect_uri,
                                                         const CallOptions& options) const {
    if (permissions.empty()) throw InvalidArgumentError("permissions is empty");
    json::array list;
    for (const auto& p : permissions) {
        require(p.calendar_id, "a permission's calendar_id");
        require(p.permission_level, "a permission's permission_level");
        json::object o;
        o["calendar_id"] = p.calendar_id;
        o["permission_level"] = p.permission_level;
        list.emplace_back(std::move(o));
    }
    json::object body;
    body["permissions"] = std::move(list);
    if (redirect_uri) {
        require(*redirect_uri, "redirect_uri");
        body["redirect_uri"] = *redirect_uri;
    }
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(
        detail::api_request(config, "POST", config.api_url() + "/v1/permissions", json::serialize(body)),
        Replay::if_not_sent, options);
    const json::object parsed = detail::parse_reply_object(reply.body, "elevated permissions");
    const auto* request = parsed.if_contains("permissions_request");
    if (request == nullptr || !request->is_object()) {
        throw ProtocolError("elevated permissions: the reply has no \"permissions_request\" object");
    }
    PermissionsRequest out;
    const auto& o = request->get_object();
    if (const auto* accepted = o.if_contains("accepted"); accepted != nullptr && accepted->is_bool()) {
        out.accepted = accepted->get_bool();
    }
    out.url = text(o, "url");
    out.raw_json = json::serialize(o);
    return out;
}

}  // namespace calbridge
