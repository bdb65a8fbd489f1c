#include "events.hpp"

#include "times.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace calbridge::sandbox {

namespace {

constexpr std::int64_t default_to_days = 201;  // the intermediary's documented default span

bool read_query_bool(const Params& q, std::string_view name, bool& out, std::vector<FieldError>& errors) {
    const std::string* v = find_param(q, name);
    if (v == nullptr) return true;
    const std::optional<bool> value = parse_query_bool(*v);
    if (!value) {
        errors.push_back({std::string(name), "errors.invalid", "must be true or false"});
        return false;
    }
    out = *value;
    return true;
}

bool calendar_selected(const EventQuery& q, const std::string& calendar_id) {
    return q.calendar_ids.empty() ||
           std::find(q.calendar_ids.begin(), q.calendar_ids.end(), calendar_id) != q.calendar_ids.end();
}

}  // namespace

bool valid_tzid(std::string_view tzid) {
    if (tzid.empty() || tzid.size() > 64 || tzid.front() == '/' || tzid.find("..") != std::string_view::npos) {
        return false;
    }
    const bool chars_ok = std::all_of(tzid.begin(), tzid.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
               c == '_' || c == '-' || c == '+';
    });
    if (!chars_ok) return false;
    if (tzid == "UTC" || tzid == "Etc/UTC") return true;
    // Check against the system's zone database where there is one.
    std::error_code ec;
    const std::filesystem::path zoneinfo = "/usr/share/zoneinfo";
    if (!std::filesystem::is_directory(zoneinfo, ec)) return true;
    return std::filesystem::is_regular_file(zoneinfo / std::string(tzid), ec);
}

std::variant<EventQuery, std::vector<FieldError>> read_event_query(const Params& query, std::int64_t now) {
    std::vector<FieldError> errors;
    EventQuery q;
    if (const std::string* tzid = find_param(query, "tzid"); tzid == nullptr || tzid->empty()) {
        errors.push_back({"tzid", "errors.required", "tzid is required"});
    } else if (!valid_tzid(*tzid)) {
        errors.push_back({"tzid", "errors.invalid", "unknown time zone"});
    } else {
        q.tzid = *tzid;
    }
    const std::int64_t today = now - now % seconds_per_day;
    q.from = today;
    if (const std::string* from = find_param(query, "from")) {
        if (auto d = parse_date(*from)) q.from = *d;
        else errors.push_back({"from", "errors.invalid", "must be a date, YYYY-MM-DD"});
    }
    q.to = q.from + default_to_days * seconds_per_day;
    if (const std::string* to = find_param(query, "to")) {
        if (auto d = parse_date(*to)) {
            q.to = *d;
            if (q.to <= q.from) errors.push_back({"to", "errors.invalid", "must be after from"});
        } else {
            errors.push_back({"to", "errors.invalid", "must be a date, YYYY-MM-DD"});
        }
    }
    q.calendar_ids = find_all_params(query, "calendar_ids[]");
    for (auto& id : find_all_params(query, "calendar_ids")) q.calendar_ids.push_back(std::move(id));
    if (const std::string* lm = find_param(query, "last_modified")) {
        if (auto t = parse_rfc3339(*lm)) q.last_modified = *t;
        else errors.push_back({"last_modified", "errors.invalid", "must be an RFC 3339 time"});
    }
    read_query_bool(query, "include_deleted", q.include_deleted, errors);
    read_query_bool(query, "include_managed", q.include_managed, errors);
    read_query_bool(query, "only_managed", q.only_managed, errors);
    read_query_bool(query, "include_moved", q.include_moved, errors);
    read_query_bool(query, "localized_times", q.localized_times, errors);
    if (!errors.empty()) return errors;
    return q;
}

json::object write_event_query(const EventQuery& q) {
    json::object o;
    o["tzid"] = q.tzid;
    o["from"] = q.from;
    o["to"] = q.to;
    json::array ids;
    for (const auto& id : q.calendar_ids) ids.push_back(json::string(id));
    o["calendar_ids"] = std::move(ids);
    if (q.last_modified) o["last_modified"] = *q.last_modified;
    o["include_deleted"] = q.include_deleted;
    o["include_managed"] = q.include_managed;
    o["only_managed"] = q.only_managed;
    o["include_moved"] = q.include_moved;
    o["localized_times"] = q.localized_times;
    return o;
}

EventQuery read_stored_event_query(const json::object& o) {
    EventQuery q;
    q.tzid = std::string(o.at("tzid").as_string());
    q.from = o.at("from").as_int64();
    q.to = o.at("to").as_int64();
    for (const auto& id : o.at("calendar_ids").as_array()) q.calendar_ids.emplace_back(id.as_string());
    if (const auto* lm = o.if_contains("last_modified")) q.last_modified = lm->as_int64();
    q.include_deleted = o.at("include_deleted").as_bool();
    q.include_managed = o.at("include_managed").as_bool();
    q.only_managed = o.at("only_managed").as_bool();
    q.include_moved = o.at("include_moved").as_bool();
    q.localized_times = o.at("localized_times").as_bool();
    return q;
}

std::vector<const Event*> select_events(const User& user, const EventQuery& q, std::string_view client_id) {
    std::vector<const Event*> out;
    for (const Event& e : user.events) {
        if (e.start_at >= q.to) break;  // events are in start order
        if (e.end_at <= q.from && !(e.end_at == e.start_at && e.start_at == q.from)) continue;
        if (e.deleted && !q.include_deleted) continue;
        if (!calendar_selected(q, e.calendar_id)) continue;
        const Calendar* cal = user.calendar(e.calendar_id);
        if (cal == nullptr || !user.calendar_visible(*cal)) continue;
        const bool ours = !e.managed_by.empty() && e.managed_by == client_id;
        if (q.only_managed ? !ours : (ours && !q.include_managed)) continue;
        if (q.last_modified && e.updated < *q.last_modified) continue;
        out.push_back(&e);
    }
    return out;
}

std::vector<const Event*> select_busy(const User& user, const EventQuery& q, std::string_view client_id) {
    std::vector<const Event*> out;
    for (const Event* e : select_events(user, q, client_id)) {
        if (e->deleted || e->transparency == "transparent" || e->status == "cancelled") continue;
        out.push_back(e);
    }
    return out;
}

json::object write_event(const Event& e, const User& user) {
    const Calendar* cal = user.calendar(e.calendar_id);
    const bool writable = cal != nullptr && !cal->readonly;
    json::object o;
    o["calendar_id"] = e.calendar_id;
    o["event_uid"] = e.event_uid;
    if (!e.event_id.empty()) o["event_id"] = e.event_id;
    o["summary"] = e.summary;
    o["description"] = e.description;
    o["start"] = e.start;
    o["end"] = e.end;
    o["deleted"] = e.deleted;
    o["created"] = format_rfc3339(e.created);
    o["updated"] = format_rfc3339(e.updated);
    if (!e.location.is_null()) o["location"] = e.location;
    o["participation_status"] = e.participation_status;
    o["transparency"] = e.transparency;
    o["status"] = e.status;
    o["categories"] = json::array();
    json::object me;
    me["email"] = user.email;
    me["display_name"] = user.name;
    json::object attendee = me;
    attendee["status"] = "accepted";
    o["attendees"] = json::array{std::move(attendee)};
    o["organizer"] = std::move(me);
    o["recurring"] = false;
    o["event_private"] = false;
    json::object options;
    options["delete"] = writable;
    options["update"] = writable;
    options["change_participation_status"] = writable;
    o["options"] = std::move(options);
    return o;
}

json::object write_free_busy(const Event& e) {
    json::object o;
    o["calendar_id"] = e.calendar_id;
    o["start"] = e.start;
    o["end"] = e.end;
    o["free_busy_status"] = e.status == "tentative" ? "tentative" : "busy";
    return o;
}

std::optional<EventTime> read_event_time(const json::value& v) {
    EventTime t;
    std::string_view text;
    if (v.is_string()) {
        text = v.get_string();
    } else if (v.is_object()) {
        const auto& o = v.get_object();
        const auto* time = o.if_contains("time");
        const auto* tzid = o.if_contains("tzid");
        if (time == nullptr || !time->is_string()) return std::nullopt;
        if (tzid != nullptr) {
            if (!tzid->is_string() || !valid_tzid(tzid->get_string())) return std::nullopt;
            t.tzid = std::string(tzid->get_string());
        }
        text = time->get_string();
    } else {
        return std::nullopt;
    }
    if (auto d = parse_date(text)) {
        t.text = std::string(text);
        t.at = *d;
        t.all_day = true;
        return t;
    }
    if (auto at = parse_rfc3339(text)) {
        t.at = *at;
        t.text = format_rfc3339(*at);  // stored and returned in UTC
        return t;
    }
    return std::nullopt;
}

std::variant<Event, std::vector<FieldError>> read_event(const json::object& body, bool require_event_id) {
    std::vector<FieldError> errors;
    Event e;
    auto string_field = [&](std::string_view key, std::string& out, bool required, std::size_t max) {
        const json::value* v = body.if_contains(key);
        if (v == nullptr || v->is_null()) {
            if (required) errors.push_back({std::string(key), "errors.required", std::string(key) + " is required"});
            return;
        }
        if (!v->is_string()) {
            errors.push_back({std::string(key), "errors.invalid", std::string(key) + " must be a string"});
        } else if (v->get_string().size() > max) {
            errors.push_back({std::string(key), "errors.too_long", std::string(key) + " is too long"});
        } else if (required && v->get_string().empty()) {
            errors.push_back({std::string(key), "errors.required", std::string(key) + " must not be empty"});
        } else {
            out = std::string(v->get_string());
        }
    };
    string_field("event_id", e.event_id, require_event_id, 1024);
    string_field("summary", e.summary, true, 1024);
    string_field("description", e.description, false, 65536);

    std::optional<EventTime> start, end;
    for (auto [key, slot] : {std::pair<std::string_view, std::optional<EventTime>*>{"start", &start}, {"end", &end}}) {
        const json::value* v = body.if_contains(key);
        if (v == nullptr || v->is_null()) {
            errors.push_back({std::string(key), "errors.required", std::string(key) + " is required"});
        } else if (!(*slot = read_event_time(*v))) {
            errors.push_back({std::string(key), "errors.invalid",
                              std::string(key) + " must be a date (YYYY-MM-DD), an RFC 3339 time with an offset, "
                                                 "or {\"time\": ..., \"tzid\": ...}"});
        }
    }
    if (start && end) {
        if (start->all_day != end->all_day) {
            errors.push_back({"end", "errors.invalid", "start and end must both be dates or both be times"});
        } else if (end->at < start->at || (start->all_day && end->at == start->at)) {
            errors.push_back({"end", "errors.invalid", "end must be after start"});
        }
    }
    if (const json::value* tz = body.if_contains("tzid"); tz != nullptr && !tz->is_null()) {
        if (!tz->is_string() || !valid_tzid(tz->get_string())) errors.push_back({"tzid", "errors.invalid", "unknown time zone"});
        else e.tzid = std::string(tz->get_string());
    }
    if (const json::value* loc = body.if_contains("location"); loc != nullptr && !loc->is_null()) {
        if (!loc->is_object()) errors.push_back({"location", "errors.invalid", "location must be an object"});
        else e.location = *loc;
    }
    if (const json::value* tr = body.if_contains("transparency"); tr != nullptr && !tr->is_null()) {
        if (!tr->is_string() || (tr->get_string() != "opaque" && tr->get_string() != "transparent")) {
            errors.push_back({"transparency", "errors.invalid", "transparency must be opaque or transparent"});
        } else {
            e.transparency = std::string(tr->get_string());
        }
    }
    if (const json::value* st = body.if_contains("status"); st != nullptr && !st->is_null()) {
        if (!st->is_string() || (st->get_string() != "confirmed" && st->get_string() != "tentative" &&
                                 st->get_string() != "cancelled")) {
            errors.push_back({"status", "errors.invalid", "status must be confirmed, tentative or cancelled"});
        } else {
            e.status = std::string(st->get_string());
        }
    }
    if (!errors.empty()) return errors;
    e.start = start->text;
    e.end = end->text;
    e.start_at = start->at;
    e.end_at = end->at;  // an all-day end date is exclusive, as the API writes it
    if (e.tzid.empty()) e.tzid = !start->tzid.empty() ? start->tzid : end->tzid;
    return e;
}

}  // namespace calbridge::sandbox
