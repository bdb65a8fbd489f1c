// The calendar API of docs/PROTOCOL.md §5: bearer authentication, the scope matrix, rate limits,
// paging, and the calls themselves.
#include "crypto.hpp"
#include "endpoints.hpp"
#include "events.hpp"
#include "json_util.hpp"
#include "model_json.hpp"
#include "push.hpp"

#include <algorithm>

namespace calbridge::sandbox {

namespace {

constexpr std::int64_t link_token_lifetime = 3600;

enum class Route {
    calendars, create_calendar, events, events_page, free_busy, free_busy_page, upsert_event, delete_event,
    account, userinfo, profiles, revoke_profile, link_tokens,
    create_channel, list_channels, close_channel,
    participation_status, delete_managed_events, availability_rules, permissions,
};

struct Matched {
    Matched(Route r, std::string a = {}, std::string b = {}) : route(r), arg(std::move(a)), arg2(std::move(b)) {}
    Route route;
    std::string arg;  // page id, calendar id, profile id, channel id or availability rule id
    std::string arg2; // event uid
};

// The route of a /v1/ path, or the error response (404, or 405 with Allow).
std::variant<Matched, Response> match(const Request& req) {
    const auto s = path_segments(req.path);
    const std::string& m = req.method;
    auto only = [&](std::string_view method, Route r, std::string arg = {}) -> std::variant<Matched, Response> {
        if (m == method || (method == "GET" && m == "HEAD")) return Matched{r, std::move(arg)};
        return method_not_allowed(method);
    };
    const std::size_t n = s.size();
    if (n == 2 && s[1] == "calendars") {
        if (m == "GET" || m == "HEAD") return Matched{Route::calendars, {}};
        if (m == "POST") return Matched{Route::create_calendar, {}};
        return method_not_allowed("GET, POST");
    }
    if (n == 2 && s[1] == "events") {
        if (m == "GET" || m == "HEAD") return Matched{Route::events, {}};
        if (m == "DELETE") return Matched{Route::delete_managed_events, {}};
        return method_not_allowed("GET, DELETE");
    }
    if (n == 6 && s[1] == "calendars" && s[3] == "events" && s[5] == "participation_status") {
        if (m != "POST") return method_not_allowed("POST");
        return Matched{Route::participation_status, std::string(s[2]), std::string(s[4])};
    }
    if (n == 2 && s[1] == "availability_rules") {
        if (m == "GET" || m == "HEAD" || m == "POST") return Matched{Route::availability_rules, {}};
        return method_not_allowed("GET, POST");
    }
    if (n == 3 && s[1] == "availability_rules") {
        if (m == "GET" || m == "HEAD" || m == "DELETE") return Matched{Route::availability_rules, std::string(s[2])};
        return method_not_allowed("GET, DELETE");
    }
    if (n == 2 && s[1] == "permissions") return only("POST", Route::permissions);
    if (n == 4 && s[1] == "events" && s[2] == "pages") return only("GET", Route::events_page, std::string(s[3]));
    if (n == 2 && s[1] == "free_busy") return only("GET", Route::free_busy);
    if (n == 4 && s[1] == "free_busy" && s[2] == "pages") return only("GET", Route::free_busy_page, std::string(s[3]));
    if (n == 4 && s[1] == "calendars" && s[3] == "events") {
        if (m == "POST") return Matched{Route::upsert_event, std::string(s[2])};
        if (m == "DELETE") return Matched{Route::delete_event, std::string(s[2])};
        return method_not_allowed("POST, DELETE");
    }
    if (n == 2 && s[1] == "account") return only("GET", Route::account);
    if (n == 2 && s[1] == "userinfo") return only("GET", Route::userinfo);
    if (n == 2 && s[1] == "profiles") return only("GET", Route::profiles);
    if (n == 4 && s[1] == "profiles" && s[3] == "revoke") return only("POST", Route::revoke_profile, std::string(s[2]));
    if (n == 2 && s[1] == "link_tokens") return only("POST", Route::link_tokens);
    if (n == 2 && s[1] == "channels") {
        if (m == "GET" || m == "HEAD") return Matched{Route::list_channels, {}};
        if (m == "POST") return Matched{Route::create_channel, {}};
        return method_not_allowed("GET, POST");
    }
    if (n == 3 && s[1] == "channels") return only("DELETE", Route::close_channel, std::string(s[2]));
    return not_found();
}

// Which scope a call needs (docs/PROTOCOL.md §5); empty: a valid token is enough.
std::vector<std::string_view> required_scopes(Route r) {
    switch (r) {
    case Route::calendars: return {"list_calendars"};
    case Route::create_calendar: return {"create_calendar"};
    case Route::events:
    case Route::events_page: return {"read_events"};
    case Route::free_busy:
    case Route::free_busy_page: return {"read_events", "read_free_busy"};  // either
    case Route::upsert_event: return {"create_event"};
    case Route::delete_event: return {"delete_event"};
    case Route::account:
    case Route::userinfo:
    case Route::profiles: return {"read_account"};
    case Route::revoke_profile:
    case Route::link_tokens:
    case Route::create_channel:
    case Route::list_channels:
    case Route::close_channel:
    case Route::availability_rules:
    case Route::permissions: return {};
    case Route::participation_status: return {"change_participation_status"};
    case Route::delete_managed_events: return {"delete_event"};
    }
    return {};
}

Response unauthorized(std::string_view description) {
    Response r = api_error(401, "invalid_token", description);
    r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"calbridge-sandbox\", error=\"invalid_token\""});
    return r;
}

std::variant<Bearer, Response> authenticate(Context& ctx, const Request& req) {
    const std::string* auth = req.header("Authorization");
    if (auth == nullptr) {
        Response r = api_error(401, "unauthorized", "Authorization: Bearer <access token> is required");
        r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"calbridge-sandbox\""});
        return r;
    }
    const std::string_view value(*auth);
    if (value.size() <= 7 || !iequals(value.substr(0, 7), "Bearer ")) {
        return unauthorized("the Authorization header must be \"Bearer <access token>\"");
    }
    auto bearer = ctx.state.grants.authenticate(value.substr(7), ctx.state.clock.now());
    if (!bearer) return unauthorized("the access token is unknown, expired or revoked");
    return std::move(*bearer);
}

std::optional<json::object> json_body(const Request& req, std::vector<FieldError>& errors) {
    auto v = parse_json(req.body);
    if (!v || !v->is_object()) {
        errors.push_back({"request", "errors.invalid_json", "the body must be a JSON object"});
        return std::nullopt;
    }
    return std::move(v->as_object());
}

// One page of events or free/busy periods, with the next page's absolute URL.
Response page_of(Context& ctx, const Request& req, const Bearer& b, const std::string& kind, const EventQuery& q,
                 int page) {
    const Settings settings = ctx.state.settings();
    const std::int64_t now = ctx.state.clock.now();
    json::object body;
    const bool found = ctx.state.directory.read_user(b.account_id, [&](const User* u) {
        if (u == nullptr) return false;
        const auto selected = kind == "events" ? select_events(*u, q, b.client_id) : select_busy(*u, q, b.client_id);
        const std::size_t size = static_cast<std::size_t>(settings.page_size);
        const int total = std::max<int>(1, static_cast<int>((selected.size() + size - 1) / size));
        const std::size_t first = std::min(selected.size(), static_cast<std::size_t>(page - 1) * size);
        const std::size_t last = std::min(selected.size(), first + size);
        json::array items;
        items.reserve(last - first);
        for (std::size_t i = first; i < last; ++i) {
            items.push_back(kind == "events" ? write_event(*selected[i], *u) : write_free_busy(*selected[i]));
        }
        json::object pages;
        pages["current"] = page;
        pages["total"] = total;
        if (page < total) {
            PageRef ref{kind, b.client_id, b.account_id, write_event_query(q), page + 1, now + settings.page_lifetime};
            pages["next_page"] = ctx.origin(req) + "/v1/" + kind + "/pages/" + ctx.state.pages.seal(ref);
        } else if (settings.empty_last_next_page) {
            pages["next_page"] = "";
        }
        body["pages"] = std::move(pages);
        body[kind] = std::move(items);
        return true;
    });
    if (!found) return unauthorized("the account no longer exists");
    return json_response(200, body);
}

Response list_events(Context& ctx, const Request& req, const Bearer& b, const std::string& kind) {
    auto q = read_event_query(req.query, ctx.state.clock.now());
    if (auto* errors = std::get_if<std::vector<FieldError>>(&q)) return validation_error(*errors);
    return page_of(ctx, req, b, kind, std::get<EventQuery>(q), 1);
}

Response next_page(Context& ctx, const Request& req, const Bearer& b, const std::string& kind, const std::string& id) {
    const auto ref = ctx.state.pages.open(id, ctx.state.clock.now());
    if (!ref || ref->kind != kind || ref->client_id != b.client_id || ref->account_id != b.account_id) {
        return api_error(404, "not_found", "unknown or expired page");
    }
    return page_of(ctx, req, b, kind, read_stored_event_query(ref->query), ref->page);
}

Response calendars(Context& ctx, const Bearer& b) {
    json::array list;
    ctx.state.directory.read_user(b.account_id, [&](const User* u) {
        if (u == nullptr) return 0;
        for (const auto& c : u->calendars) {
            if (u->calendar_visible(c)) list.push_back(write_calendar(c, *u->profile(c.profile_id)));
        }
        return 0;
    });
    json::object body;
    body["calendars"] = std::move(list);
    return json_response(200, body);
}

Response create_calendar(Context& ctx, const Request& req, const Bearer& b) {
    std::vector<FieldError> errors;
    auto body = json_body(req, errors);
    if (!body) return validation_error(errors);
    const json::value* profile_id = body->if_contains("profile_id");
    const json::value* name = body->if_contains("name");
    if (profile_id == nullptr || !profile_id->is_string() || profile_id->get_string().empty()) {
        errors.push_back({"profile_id", "errors.required", "profile_id is required"});
    }
    if (name == nullptr || !name->is_string() || name->get_string().empty()) {
        errors.push_back({"name", "errors.required", "name is required"});
    }
    if (!errors.empty()) return validation_error(errors);
    json::object out;
    const bool ok = ctx.state.directory.write_user(b.account_id, [&](User* u) {
        const Profile* p = u != nullptr ? u->profile(profile_id->get_string()) : nullptr;
        if (p == nullptr || !p->connected) return false;
        Calendar c;
        c.calendar_id = "cal_" + random_hex(24);
        c.profile_id = p->profile_id;
        c.calendar_name = std::string(name->get_string());
        out["calendar"] = write_calendar(c, *p);
        u->calendars.push_back(std::move(c));
        return true;
    });
    if (!ok) return validation_error({{"profile_id", "errors.invalid", "not a connected profile of this account"}});
    return json_response(200, out);
}

// Finds the calendar for an upsert or delete: 404 when unknown, 422 when read-only.
std::optional<Response> check_writable(const User* u, const std::string& calendar_id) {
    const Calendar* c = u != nullptr ? u->calendar(calendar_id) : nullptr;
    if (c == nullptr || !u->calendar_visible(*c)) return api_error(404, "not_found", "unknown calendar");
    if (c->readonly) return validation_error({{"calendar_id", "errors.read_only", "the calendar is read-only"}});
    return std::nullopt;
}

Response upsert_event(Context& ctx, const Request& req, const Bearer& b, const std::string& calendar_id) {
    std::vector<FieldError> errors;
    auto body = json_body(req, errors);
    if (!body) return validation_error(errors);
    auto parsed = read_event(*body, true);
    if (auto* e = std::get_if<std::vector<FieldError>>(&parsed)) return validation_error(*e);
    Event incoming = std::get<Event>(std::move(parsed));
    const std::int64_t now = ctx.state.clock.now();
    bool changed = false;
    Response r = ctx.state.directory.write_user(b.account_id, [&](User* u) -> Response {
        if (auto error = check_writable(u, calendar_id)) return std::move(*error);
        // Idempotent by event_id: the same event_id in the same calendar updates in place.
        auto it = std::find_if(u->events.begin(), u->events.end(), [&](const Event& e) {
            return e.calendar_id == calendar_id && e.managed_by == b.client_id && e.event_id == incoming.event_id;
        });
        if (it == u->events.end()) {
            incoming.calendar_id = calendar_id;
            incoming.event_uid = "evt_managed_" + random_hex(24);
            incoming.managed_by = b.client_id;
            incoming.created = incoming.updated = now;
            u->events.push_back(std::move(incoming));
            changed = true;
        } else {
            Event& e = *it;
            const bool same = !e.deleted && e.summary == incoming.summary && e.description == incoming.description &&
                              e.start == incoming.start && e.end == incoming.end && e.tzid == incoming.tzid &&
                              e.location == incoming.location && e.transparency == incoming.transparency &&
                              e.status == incoming.status;
            if (!same) {
                e.summary = incoming.summary;
                e.description = incoming.description;
                e.start = incoming.start;
                e.end = incoming.end;
                e.start_at = incoming.start_at;
                e.end_at = incoming.end_at;
                e.tzid = incoming.tzid;
                e.location = incoming.location;
                e.transparency = incoming.transparency;
                e.status = incoming.status;
                e.deleted = false;
                e.updated = now;
                changed = true;
            }
        }
        u->sort_events();
        return empty_response(202);
    });
    if (changed) push_change(ctx.state, {b.account_id, {calendar_id}, b.client_id, now});
    return r;
}

Response delete_event(Context& ctx, const Request& req, const Bearer& b, const std::string& calendar_id) {
    std::vector<FieldError> errors;
    auto body = json_body(req, errors);
    if (!body) return validation_error(errors);
    const json::value* event_id = body->if_contains("event_id");
    const json::value* event_uid = body->if_contains("event_uid");
    const bool by_id = event_id != nullptr && event_id->is_string() && !event_id->get_string().empty();
    const bool by_uid = event_uid != nullptr && event_uid->is_string() && !event_uid->get_string().empty();
    if (!by_id && !by_uid) return validation_error({{"event_id", "errors.required", "event_id or event_uid is required"}});
    const std::int64_t now = ctx.state.clock.now();
    bool changed = false;
    std::string managed_by;
    Response r = ctx.state.directory.write_user(b.account_id, [&](User* u) -> Response {
        if (auto error = check_writable(u, calendar_id)) return std::move(*error);
        for (Event& e : u->events) {
            const bool hit = e.calendar_id == calendar_id &&
                             (by_id ? (e.managed_by == b.client_id && e.event_id == event_id->get_string())
                                    : e.event_uid == event_uid->get_string());
            if (hit && !e.deleted) {
                e.deleted = true;
                e.updated = now;
                changed = true;
                if (e.managed_by == b.client_id) managed_by = b.client_id;
            }
        }
        return empty_response(202);  // deleting what is not there is not an error
    });
    if (changed) push_change(ctx.state, {b.account_id, {calendar_id}, managed_by, now});
    return r;
}

Response account(Context& ctx, const Bearer& b, Route route, const std::string& origin) {
    json::object body;
    ctx.state.directory.read_user(b.account_id, [&](const User* u) {
        if (u == nullptr) return 0;
        json::array profiles;
        for (const auto& p : u->profiles) {
            json::object po = write_profile(p, u->account_id, origin);
            if (route == Route::userinfo) {
                json::array cals;
                for (const auto& c : u->calendars) {
                    if (c.profile_id == p.profile_id && u->calendar_visible(c)) cals.push_back(write_calendar(c, p));
                }
                po["profile_calendars"] = std::move(cals);
            }
            profiles.push_back(std::move(po));
        }
        if (route == Route::profiles) {
            body["profiles"] = std::move(profiles);
        } else if (route == Route::account) {
            json::object a;
            a["account_id"] = u->account_id;
            a["email"] = u->email;
            a["name"] = u->name;
            a["scope"] = join_scopes(b.scopes);
            a["default_tzid"] = u->default_tzid;
            body["account"] = std::move(a);
        } else {
            body["sub"] = u->account_id;
            body["email"] = u->email;
            body["name"] = u->name;
            body["zoneinfo"] = u->default_tzid;
            body["cronofy.type"] = "account";
            json::object data;
            json::object authorization;
            authorization["scope"] = join_scopes(b.scopes);
            authorization["status"] = "active";
            data["authorization"] = std::move(authorization);
            data["profiles"] = std::move(profiles);
            body["cronofy.data"] = std::move(data);
        }
        return 0;
    });
    return json_response(200, body);
}

Response revoke_profile(Context& ctx, const Bearer& b, const std::string& profile_id) {
    const bool found = ctx.state.directory.write_user(b.account_id, [&](User* u) {
        Profile* p = u != nullptr ? u->profile(profile_id) : nullptr;
        if (p == nullptr) return false;
        p->connected = false;
        return true;
    });
    return found ? empty_response(202) : api_error(404, "not_found", "unknown profile");
}

Response link_token(Context& ctx, const Bearer& b) {
    json::object body;
    body["link_token"] = ctx.state.grants.issue_link_token(b.client_id, b.account_id,
                                                           ctx.state.clock.now() + link_token_lifetime);
    return json_response(200, body);
}

}  // namespace

Response api(Context& ctx, const Request& req) {
    if (auto handled = app_api(ctx, req)) return std::move(*handled);
    auto matched = match(req);
    if (auto* error = std::get_if<Response>(&matched)) return std::move(*error);
    const Matched& m = std::get<Matched>(matched);

    auto bearer = authenticate(ctx, req);
    if (auto* error = std::get_if<Response>(&bearer)) return std::move(*error);
    const Bearer& b = std::get<Bearer>(bearer);
    const auto app = ctx.state.directory.application(b.client_id);
    if (!app) return unauthorized("the application no longer exists");

    if (auto limited = check_rate_limit(ctx, *app)) return std::move(*limited);

    const auto needed = required_scopes(m.route);
    if (!needed.empty() &&
        std::none_of(needed.begin(), needed.end(), [&](std::string_view s) { return b.has_scope(s); })) {
        std::string list;
        for (auto s : needed) list += (list.empty() ? "" : " or ") + std::string(s);
        Response r = api_error(403, "insufficient_scope", "this call needs the " + list + " scope");
        r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"calbridge-sandbox\", error=\"insufficient_scope\", scope=\"" +
                                                     std::string(needed.front()) + "\""});
        return r;
    }

    switch (m.route) {
    case Route::calendars: return calendars(ctx, b);
    case Route::create_calendar: return create_calendar(ctx, req, b);
    case Route::events: return list_events(ctx, req, b, "events");
    case Route::events_page: return next_page(ctx, req, b, "events", m.arg);
    case Route::free_busy: return list_events(ctx, req, b, "free_busy");
    case Route::free_busy_page: return next_page(ctx, req, b, "free_busy", m.arg);
    case Route::upsert_event: return upsert_event(ctx, req, b, m.arg);
    case Route::delete_event: return delete_event(ctx, req, b, m.arg);
    case Route::account:
    case Route::userinfo:
    case Route::profiles: return account(ctx, b, m.route, ctx.origin(req));
    case Route::revoke_profile: return revoke_profile(ctx, b, m.arg);
    case Route::link_tokens: return link_token(ctx, b);
    case Route::create_channel: return create_channel(ctx, req, b);
    case Route::list_channels: return list_channels(ctx, b);
    case Route::close_channel: return close_channel(ctx, b, m.arg);
    case Route::participation_status: return participation_status(ctx, req, b, m.arg, m.arg2);
    case Route::delete_managed_events: return delete_managed_events(ctx, req, b);
    case Route::availability_rules: return availability_rules(ctx, req, b, m.arg);
    case Route::permissions: return request_permissions(ctx, req, b);
    }
    return not_found();
}

}  // namespace calbridge::sandbox
