#include "api/results.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

namespace json = boost::json;

namespace {

std::string text(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool flag(const json::object& obj, std::string_view key, bool otherwise = false) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_bool() ? v->get_bool() : otherwise;
}

// "start": "2026-11-28T09:00:00Z", or {"time": "...", "tzid": "Europe/London"}.
EventTime event_time(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    if (v == nullptr) return {};
    if (v->is_string()) return {std::string(v->get_string()), {}};
    if (v->is_object()) return {text(v->get_object(), "time"), text(v->get_object(), "tzid")};
    return {};
}

// "location": {"description": "..."}; some providers' replies carry a bare string.
std::string location(const json::object& obj) {
    const auto* v = obj.if_contains("location");
    if (v == nullptr) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_object()) return text(v->get_object(), "description");
    return {};
}

const json::object& object_member(const json::object& reply, std::string_view key, std::string_view what) {
    const auto* v = reply.if_contains(key);
    if (v == nullptr || !v->is_object()) {
        throw ProtocolError(std::string(what) + ": the reply has no \"" + std::string(key) + "\" object");
    }
    return v->get_object();
}

}  // namespace

json::object parse_reply_object(std::string_view body, std::string_view what) {
    boost::system::error_code ec;
    json::value root = json::parse(body, ec);
    if (ec) throw ProtocolError(std::string(what) + ": the reply is not JSON (" + ec.message() + ")");
    if (!root.is_object()) throw ProtocolError(std::string(what) + ": the reply is not a JSON object");
    return std::move(root.get_object());
}

const json::array& array_of_objects(const json::object& reply, std::string_view key, std::string_view what) {
    const auto* v = reply.if_contains(key);
    if (v == nullptr || !v->is_array()) {
        throw ProtocolError(std::string(what) + ": the reply has no \"" + std::string(key) + "\" array");
    }
    for (const auto& item : v->get_array()) {
        if (!item.is_object()) {
            throw ProtocolError(std::string(what) + ": \"" + std::string(key) + "\" holds something other than objects");
        }
    }
    return v->get_array();
}

Calendar read_calendar(const json::object& item) {
    Calendar c;
    c.provider_name = text(item, "provider_name");
    c.profile_id = text(item, "profile_id");
    c.profile_name = text(item, "profile_name");
    c.calendar_id = text(item, "calendar_id");
    c.calendar_name = text(item, "calendar_name");
    c.readonly = flag(item, "calendar_readonly");
    c.deleted = flag(item, "calendar_deleted");
    c.primary = flag(item, "calendar_primary");
    c.permission_level = text(item, "permission_level");
    c.raw_json = json::serialize(item);
    return c;
}

Event read_event(const json::object& item) {
    Event e;
    e.calendar_id = text(item, "calendar_id");
    e.event_uid = text(item, "event_uid");
    e.event_id = text(item, "event_id");
    e.summary = text(item, "summary");
    e.description = text(item, "description");
    e.start = event_time(item, "start");
    e.end = event_time(item, "end");
    e.deleted = flag(item, "deleted");
    e.created = text(item, "created");
    e.updated = text(item, "updated");
    e.location = location(item);
    e.participation_status = text(item, "participation_status");
    e.transparency = text(item, "transparency");
    e.status = text(item, "status");
    e.recurring = flag(item, "recurring");
    e.raw_json = json::serialize(item);
    return e;
}

FreeBusyPeriod read_free_busy_period(const json::object& item) {
    FreeBusyPeriod p;
    p.calendar_id = text(item, "calendar_id");
    p.start = event_time(item, "start");
    p.end = event_time(item, "end");
    p.free_busy_status = text(item, "free_busy_status");
    p.raw_json = json::serialize(item);
    return p;
}

Profile read_profile(const json::object& item) {
    Profile p;
    p.provider_name = text(item, "provider_name");
    p.profile_id = text(item, "profile_id");
    p.profile_name = text(item, "profile_name");
    p.connected = flag(item, "profile_connected", true);
    if (const auto* v = item.if_contains("profile_relink_url"); v != nullptr && v->is_string()) {
        p.relink_url = std::string(v->get_string());
    }
    p.raw_json = json::serialize(item);
    return p;
}

std::vector<Calendar> read_calendars(std::string_view body) {
    const json::object reply = parse_reply_object(body, "list calendars");
    std::vector<Calendar> out;
    for (const auto& item : array_of_objects(reply, "calendars", "list calendars")) {
        out.push_back(read_calendar(item.get_object()));
    }
    return out;
}

Account read_account(std::string_view body) {
    const json::object reply = parse_reply_object(body, "account");
    const json::object& obj = object_member(reply, "account", "account");
    Account a;
    a.account_id = text(obj, "account_id");
    a.email = text(obj, "email");
    a.name = text(obj, "name");
    a.scope = split_scope(text(obj, "scope"));
    a.default_tzid = text(obj, "default_tzid");
    a.raw_json = json::serialize(obj);
    return a;
}

UserInfo read_userinfo(std::string_view body) {
    const json::object reply = parse_reply_object(body, "userinfo");
    UserInfo u;
    u.sub = text(reply, "sub");
    u.email = text(reply, "email");
    u.name = text(reply, "name");
    u.zoneinfo = text(reply, "zoneinfo");
    u.type = text(reply, "cronofy.type");
    if (const auto* data = reply.if_contains("cronofy.data"); data != nullptr && data->is_object()) {
        if (data->get_object().contains("profiles")) {
            for (const auto& item : array_of_objects(data->get_object(), "profiles", "userinfo")) {
                u.profiles.push_back(read_profile(item.get_object()));
            }
        }
    }
    u.raw_json = json::serialize(reply);
    return u;
}

std::vector<Profile> read_profiles(std::string_view body) {
    const json::object reply = parse_reply_object(body, "profiles");
    std::vector<Profile> out;
    for (const auto& item : array_of_objects(reply, "profiles", "profiles")) {
        out.push_back(read_profile(item.get_object()));
    }
    return out;
}

}  // namespace calbridge::detail
