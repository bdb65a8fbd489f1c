// The remaining account calls (docs/PROTOCOL.md §8 "Other account calls"): participation status,
// deleting the application's events in bulk, availability rules, elevated permissions.
#include "crypto.hpp"
#include "endpoints.hpp"
#include "events.hpp"
#include "json_util.hpp"
#include "push.hpp"

#include <algorithm>
#include <regex>

namespace calbridge::sandbox {

namespace {

std::optional<json::object> object_body(const Request& req) {
    auto v = parse_json(req.body);
    if (!v || !v->is_object()) return std::nullopt;
    return std::move(v->as_object());
}

Response bad_json() { return validation_error({{"request", "errors.invalid_json", "the body must be a JSON object"}}); }

std::optional<std::vector<std::string>> string_array(const json::value* v) {
    if (v == nullptr || !v->is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& x : v->as_array()) {
        if (!x.is_string() || x.get_string().empty()) return std::nullopt;
        out.emplace_back(x.get_string());
    }
    return out;
}

bool valid_time_of_day(std::string_view t) {
    static const std::regex re("^([01][0-9]|2[0-3]):[0-5][0-9]$");
    return std::regex_match(t.begin(), t.end(), re);
}

}  // namespace

Response participation_status(Context& ctx, const Request& req, const Bearer& b, const std::string& calendar_id,
                              const std::string& event_uid) {
    auto body = object_body(req);
    if (!body) return bad_json();
    const json::value* status = body->if_contains("status");
    if (status == nullptr || !status->is_string() ||
        (status->get_string() != "accepted" && status->get_string() != "tentative" && status->get_string() != "declined")) {
        return validation_error({{"status", status == nullptr ? "errors.required" : "errors.invalid",
                                  "status must be accepted, tentative or declined"}});
    }
    const std::int64_t now = ctx.state.clock.now();
    std::optional<std::string> managed_by;  // set when the event was found and changed
    bool found = false;
    ctx.state.directory.write_user(b.account_id, [&](User* u) {
        const Calendar* c = u != nullptr ? u->calendar(calendar_id) : nullptr;
        if (c == nullptr || !u->calendar_visible(*c)) return 0;
        for (Event& e : u->events) {
            if (e.calendar_id != calendar_id || e.event_uid != event_uid || e.deleted) continue;
            found = true;
            if (e.participation_status != status->get_string()) {
                e.participation_status = std::string(status->get_string());
                e.updated = now;
                managed_by = e.managed_by;
            }
        }
        return 0;
    });
    if (!found) return api_error(404, "not_found", "unknown calendar or event");
    if (managed_by) push_change(ctx.state, {b.account_id, {calendar_id}, *managed_by, now});
    return empty_response(202);
}

Response delete_managed_events(Context& ctx, const Request& req, const Bearer& b) {
    auto body = object_body(req);
    if (!body) return bad_json();
    const json::value* all = body->if_contains("delete_all");
    const json::value* ids = body->if_contains("calendar_ids");
    std::optional<std::vector<std::string>> calendars;
    if (all != nullptr && !all->is_bool()) {
        return validation_error({{"delete_all", "errors.invalid", "delete_all must be true or false"}});
    }
    const bool delete_all = all != nullptr && all->get_bool();
    if (ids != nullptr) {
        calendars = string_array(ids);
        if (!calendars || calendars->empty()) {
            return validation_error({{"calendar_ids", "errors.invalid", "calendar_ids must be a non-empty array of calendar ids"}});
        }
    }
    if (delete_all == calendars.has_value()) {
        return validation_error({{"delete_all", "errors.required", "give either \"delete_all\": true or calendar_ids"}});
    }
    const std::int64_t now = ctx.state.clock.now();
    std::vector<std::string> touched;
    ctx.state.directory.write_user(b.account_id, [&](User* u) {
        if (u == nullptr) return 0;
        for (Event& e : u->events) {
            if (e.deleted || e.managed_by != b.client_id) continue;
            if (calendars && std::find(calendars->begin(), calendars->end(), e.calendar_id) == calendars->end()) continue;
            e.deleted = true;
            e.updated = now;
            if (std::find(touched.begin(), touched.end(), e.calendar_id) == touched.end()) touched.push_back(e.calendar_id);
        }
        return 0;
    });
    if (!touched.empty()) push_change(ctx.state, {b.account_id, touched, b.client_id, now});
    return empty_response(202);
}

// ---- availability rules ---------------------------------------------------------------------

Response availability_rules(Context& ctx, const Request& req, const Bearer& b, const std::string& rule_id) {
    JsonRecords& rules = ctx.state.availability_rules;
    const std::string prefix = record_key({b.client_id, b.account_id});
    if (!rule_id.empty()) {
        const std::string key = prefix + record_key({rule_id});
        if (req.method == "DELETE") return rules.remove(key) ? empty_response(202) : api_error(404, "not_found", "unknown availability rule");
        auto rule = rules.get(key);
        if (!rule) return api_error(404, "not_found", "unknown availability rule");
        json::object out;
        out["availability_rule"] = std::move(*rule);
        return json_response(200, out);
    }
    if (req.method == "GET" || req.method == "HEAD") {
        json::array list;
        for (auto& r : rules.with_prefix(prefix)) list.push_back(std::move(r));
        json::object out;
        out["availability_rules"] = std::move(list);
        return json_response(200, out);
    }
    auto body = object_body(req);
    if (!body) return bad_json();
    std::vector<FieldError> errors;
    const json::value* id = body->if_contains("availability_rule_id");
    if (id == nullptr || !id->is_string() || id->get_string().empty() || id->get_string().size() > 64) {
        errors.push_back({"availability_rule_id", "errors.required", "availability_rule_id must be 1 to 64 characters"});
    }
    const json::value* tz = body->if_contains("tzid");
    if (tz == nullptr || !tz->is_string() || !valid_tzid(tz->get_string())) {
        errors.push_back({"tzid", tz == nullptr ? "errors.required" : "errors.invalid", "tzid must be a known time zone"});
    }
    if (const json::value* cals = body->if_contains("calendar_ids"); cals != nullptr && !string_array(cals)) {
        errors.push_back({"calendar_ids", "errors.invalid", "calendar_ids must be an array of calendar ids"});
    }
    static const std::vector<std::string> days{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    const json::value* weekly = body->if_contains("weekly_periods");
    if (weekly == nullptr || !weekly->is_array() || weekly->as_array().empty()) {
        errors.push_back({"weekly_periods", weekly == nullptr ? "errors.required" : "errors.invalid",
                          "weekly_periods must be a non-empty array"});
    } else {
        for (std::size_t i = 0; i < weekly->as_array().size(); ++i) {
            const std::string where = "weekly_periods[" + std::to_string(i) + "]";
            const json::value& p = weekly->as_array()[i];
            const json::object* o = p.is_object() ? &p.as_object() : nullptr;
            auto text = [&](const char* key) -> std::string {
                const json::value* v = o != nullptr ? o->if_contains(key) : nullptr;
                return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
            };
            const std::string day = text("day");
            const std::string start = text("start_time");
            const std::string end = text("end_time");
            if (std::find(days.begin(), days.end(), day) == days.end()) {
                errors.push_back({where + ".day", "errors.invalid", "day must be monday to sunday"});
            }
            if (!valid_time_of_day(start)) errors.push_back({where + ".start_time", "errors.invalid", "start_time must be HH:MM"});
            if (!valid_time_of_day(end)) errors.push_back({where + ".end_time", "errors.invalid", "end_time must be HH:MM"});
            if (valid_time_of_day(start) && valid_time_of_day(end) && end <= start) {
                errors.push_back({where + ".end_time", "errors.invalid", "end_time must be after start_time"});
            }
        }
    }
    if (!errors.empty()) return validation_error(errors);
    json::object rule;
    rule["availability_rule_id"] = id->get_string();
    rule["tzid"] = tz->get_string();
    if (const json::value* cals = body->if_contains("calendar_ids")) rule["calendar_ids"] = *cals;
    rule["weekly_periods"] = *weekly;
    rules.put(prefix + record_key({id->get_string()}), rule);
    json::object out;
    out["availability_rule"] = std::move(rule);
    return json_response(200, out);
}

// ---- elevated permissions ---------------------------------------------------------------------

Response request_permissions(Context& ctx, const Request& req, const Bearer& b) {
    auto body = object_body(req);
    if (!body) return bad_json();
    std::vector<FieldError> errors;
    const json::value* perms = body->if_contains("permissions");
    if (perms == nullptr || !perms->is_array() || perms->as_array().empty()) {
        errors.push_back({"permissions", perms == nullptr ? "errors.required" : "errors.invalid",
                          "permissions must be a non-empty array"});
    } else {
        ctx.state.directory.read_user(b.account_id, [&](const User* u) {
            for (std::size_t i = 0; i < perms->as_array().size(); ++i) {
                const std::string where = "permissions[" + std::to_string(i) + "]";
                const json::value& p = perms->as_array()[i];
                const json::value* cal = p.is_object() ? p.as_object().if_contains("calendar_id") : nullptr;
                const json::value* level = p.is_object() ? p.as_object().if_contains("permission_level") : nullptr;
                const Calendar* c = cal != nullptr && cal->is_string() && u != nullptr ? u->calendar(cal->get_string()) : nullptr;
                if (c == nullptr || !u->calendar_visible(*c)) {
                    errors.push_back({where + ".calendar_id", "errors.not_found", "not a calendar of this account"});
                }
                if (level == nullptr || !level->is_string() || level->get_string() != "unrestricted") {
                    errors.push_back({where + ".permission_level", "errors.invalid", "permission_level must be unrestricted"});
                }
            }
            return 0;
        });
    }
    if (const json::value* r = body->if_contains("redirect_uri"); r != nullptr && (!r->is_string() || r->get_string().empty())) {
        errors.push_back({"redirect_uri", "errors.invalid", "redirect_uri must be a URL"});
    }
    if (!errors.empty()) return validation_error(errors);
    const std::string id = "prq_" + random_hex(24);
    json::object record;
    record["permissions_request_id"] = id;
    record["permissions"] = *perms;
    if (const json::value* r = body->if_contains("redirect_uri")) record["redirect_uri"] = *r;
    ctx.state.permission_requests.put(record_key({b.client_id, b.account_id, id}), record);
    json::object pr;
    pr["url"] = ctx.origin(req) + "/permissions/" + id;
    json::object out;
    out["permissions_request"] = std::move(pr);
    return json_response(202, out);
}

}  // namespace calbridge::sandbox
