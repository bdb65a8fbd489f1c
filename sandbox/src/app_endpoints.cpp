// The calls authenticated with the application's client secret (docs/PROTOCOL.md §8): application
// calendars, real-time scheduling, smart invites, and availability (which also takes an
// account's access token). Secrets are compared in constant time.
#include "availability.hpp"
#include "crypto.hpp"
#include "events.hpp"
#include "json_util.hpp"
#include "times.hpp"
#include "uri.hpp"

namespace calbridge::sandbox {

namespace {

Response unauthorized(std::string_view description) {
    Response r = api_error(401, "invalid_token", description);
    r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"calbridge-sandbox\", error=\"invalid_token\""});
    return r;
}

// The bearer value, or nullptr when there is no "Bearer ..." Authorization header.
std::optional<std::string_view> bearer_of(const Request& req) {
    const std::string* auth = req.header("Authorization");
    if (auth == nullptr || auth->size() <= 7 || !iequals(std::string_view(*auth).substr(0, 7), "Bearer ")) return std::nullopt;
    return std::string_view(*auth).substr(7);
}

// The application whose client secret this is; every application is compared, each in
// constant time.
std::optional<Application> application_by_secret(Context& ctx, std::string_view secret) {
    std::optional<Application> found;
    for (auto& app : ctx.state.directory.applications()) {
        if (constant_time_equal(app.client_secret, secret) && !found) found = std::move(app);
    }
    return found;
}

std::variant<Application, Response> secret_caller(Context& ctx, const Request& req) {
    const auto bearer = bearer_of(req);
    if (!bearer) return unauthorized("Authorization: Bearer <client secret> is required");
    auto app = application_by_secret(ctx, *bearer);
    if (!app) return unauthorized("the bearer is not a client secret");
    return std::move(*app);
}

std::optional<json::object> object_body(const Request& req) {
    auto v = parse_json(req.body);
    if (!v || !v->is_object()) return std::nullopt;
    return std::move(v->as_object());
}

Response bad_json() { return validation_error({{"request", "errors.invalid_json", "the body must be a JSON object"}}); }

bool absolute_http_url(const json::value* v) {
    if (v == nullptr || !v->is_string()) return false;
    auto u = parse_absolute_uri_from_outside(v->get_string());
    return u && (u->scheme() == "https" || u->scheme() == "http") && u->has_authority() && !u->host().empty();
}

bool nonempty_string(const json::value* v, std::size_t max = 1024) {
    return v != nullptr && v->is_string() && !v->get_string().empty() && v->get_string().size() <= max;
}

// ---- application calendars ----------------------------------------------------------------

Response application_calendars(Context& ctx, const Request& req) {
    auto body = object_body(req);
    if (!body) return bad_json();
    // Credentials in the body (client_id and client_secret); a bearer, when sent, must be the
    // same application's secret.
    const json::value* id = body->if_contains("client_id");
    const json::value* secret = body->if_contains("client_secret");
    std::optional<Application> app;
    if (id != nullptr && id->is_string() && secret != nullptr && secret->is_string()) {
        app = ctx.state.directory.application(id->get_string());
        if (app && !constant_time_equal(app->client_secret, secret->get_string())) app.reset();
    } else if (auto bearer = bearer_of(req)) {
        app = application_by_secret(ctx, *bearer);
    }
    if (!app) return oauth_error(401, "invalid_client", "unknown client_id or wrong client_secret");
    if (auto bearer = bearer_of(req); bearer && !constant_time_equal(app->client_secret, *bearer)) {
        return oauth_error(401, "invalid_client", "the bearer is not this application's client secret");
    }
    if (auto limited = check_rate_limit(ctx, *app)) return std::move(*limited);
    const json::value* cal_id = body->if_contains("application_calendar_id");
    if (!nonempty_string(cal_id, 128)) {
        return validation_error({{"application_calendar_id", cal_id == nullptr ? "errors.required" : "errors.invalid",
                                  "application_calendar_id must be a string of 1 to 128 characters"}});
    }
    const std::string name(cal_id->get_string());
    // One account per (application, application_calendar_id), made on first use.
    const std::string suffix = "apc_" + base64url_encode(sha256(app->client_id + '\x1f' + name)).substr(0, 24);
    const std::string account_id = "acc_" + suffix;
    const std::string profile_id = "pro_" + suffix;
    if (!ctx.state.directory.find_user(account_id)) {
        User u;
        u.account_id = account_id;
        u.email = suffix + "@application-calendars.sandbox.invalid";
        u.name = name;
        Profile p;
        p.profile_id = profile_id;
        p.provider_name = "cronofy";
        p.profile_name = name;
        u.profiles.push_back(p);
        Calendar c;
        c.calendar_id = "cal_" + suffix;
        c.profile_id = profile_id;
        c.calendar_name = name;
        c.primary = true;
        u.calendars.push_back(c);
        ctx.state.directory.put_users({std::move(u)});
    }
    std::vector<std::string> scopes(std::begin(known_scopes), std::end(known_scopes));
    const IssuedTokens t = ctx.state.grants.issue_direct(app->client_id, account_id, profile_id, std::move(scopes),
                                                         ctx.state.policy_for(*app), ctx.state.clock.now());
    json::object o;
    o["token_type"] = "bearer";
    o["access_token"] = t.access_token;
    o["expires_in"] = t.expires_in;
    o["refresh_token"] = t.refresh_token;
    o["scope"] = join_scopes(t.scopes);
    o["account_id"] = account_id;
    o["sub"] = account_id;
    o["application_calendar_id"] = name;
    json::object lp;
    lp["provider_name"] = "cronofy";
    lp["profile_id"] = profile_id;
    lp["profile_name"] = name;
    o["linking_profile"] = std::move(lp);
    Response r = json_response(200, o);
    r.headers.push_back({"Cache-Control", "no-store"});
    r.headers.push_back({"Pragma", "no-cache"});
    return r;
}

// ---- real-time scheduling -----------------------------------------------------------------

Response real_time_scheduling(Context& ctx, const Request& req, const Application& app) {
    auto body = object_body(req);
    if (!body) return bad_json();
    std::vector<FieldError> errors;
    const json::value* oauth = body->if_contains("oauth");
    if (oauth == nullptr || !oauth->is_object() || !absolute_http_url(oauth->as_object().if_contains("redirect_uri"))) {
        errors.push_back({"oauth.redirect_uri", "errors.required", "oauth.redirect_uri must be an absolute URL"});
    }
    const json::value* event = body->if_contains("event");
    if (event == nullptr || !event->is_object()) {
        errors.push_back({"event", "errors.required", "event is required"});
    } else {
        if (!nonempty_string(event->as_object().if_contains("event_id"))) {
            errors.push_back({"event.event_id", "errors.required", "event.event_id is required"});
        }
        if (!nonempty_string(event->as_object().if_contains("summary"))) {
            errors.push_back({"event.summary", "errors.required", "event.summary is required"});
        }
    }
    const json::value* avail = body->if_contains("availability");
    if (avail == nullptr || !avail->is_object()) errors.push_back({"availability", "errors.required", "availability is required"});
    const json::value* targets = body->if_contains("target_calendars");
    if (targets == nullptr || !targets->is_array() || targets->as_array().empty()) {
        errors.push_back({"target_calendars", "errors.required", "target_calendars must be a non-empty array"});
    }
    if (const json::value* tz = body->if_contains("tzid"); tz != nullptr && (!tz->is_string() || !valid_tzid(tz->get_string()))) {
        errors.push_back({"tzid", "errors.invalid", "unknown time zone"});
    }
    if (!errors.empty()) return validation_error(errors);
    const std::string id = "sch_" + random_hex(24);
    const std::string url = ctx.origin(req) + "/real_time_scheduling/" + id;
    json::object rts;
    rts["real_time_scheduling_id"] = id;
    rts["url"] = url;
    rts["event"] = *event;
    rts["status"] = "open";
    json::object out;
    out["url"] = url;
    out["real_time_scheduling"] = std::move(rts);
    (void)app;
    return json_response(200, out);
}

// ---- smart invites --------------------------------------------------------------------------

std::string ics_time(std::int64_t t) {
    std::string s = format_rfc3339(t);  // YYYY-MM-DDTHH:MM:SSZ
    std::string out;
    for (char c : s) {
        if (c != '-' && c != ':') out.push_back(c);
    }
    return out;
}

Response create_smart_invite(Context& ctx, const Request& req, const Application& app) {
    auto body = object_body(req);
    if (!body) return bad_json();
    std::vector<FieldError> errors;
    const json::value* id = body->if_contains("smart_invite_id");
    if (!nonempty_string(id, 64)) errors.push_back({"smart_invite_id", "errors.required", "smart_invite_id must be 1 to 64 characters"});
    if (!absolute_http_url(body->if_contains("callback_url"))) {
        errors.push_back({"callback_url", "errors.required", "callback_url must be an absolute URL"});
    }
    const json::value* recipient = body->if_contains("recipient");
    const json::value* email = recipient != nullptr && recipient->is_object() ? recipient->as_object().if_contains("email") : nullptr;
    if (!nonempty_string(email, 254) || email->get_string().find('@') == json::string::npos) {
        errors.push_back({"recipient.email", "errors.required", "recipient.email must be an e-mail address"});
    }
    const json::value* event = body->if_contains("event");
    std::optional<EventTime> start, end;
    if (event == nullptr || !event->is_object()) {
        errors.push_back({"event", "errors.required", "event is required"});
    } else {
        const json::object& e = event->as_object();
        if (!nonempty_string(e.if_contains("summary"))) errors.push_back({"event.summary", "errors.required", "event.summary is required"});
        if (const auto* s = e.if_contains("start")) start = read_event_time(*s);
        if (const auto* en = e.if_contains("end")) end = read_event_time(*en);
        if (!start) errors.push_back({"event.start", "errors.invalid", "event.start must be a date or time"});
        if (!end) errors.push_back({"event.end", "errors.invalid", "event.end must be a date or time"});
        if (start && end && end->at <= start->at) errors.push_back({"event.end", "errors.invalid", "event.end must be after event.start"});
    }
    if (!errors.empty()) return validation_error(errors);
    const std::string invite_id(id->get_string());
    const std::string summary(event->as_object().at("summary").as_string());
    std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calbridge-sandbox//smart invites//EN\r\nMETHOD:REQUEST\r\n"
                      "BEGIN:VEVENT\r\nUID:" + invite_id + "@" + app.client_id + "\r\nDTSTAMP:" + ics_time(ctx.state.clock.now()) +
                      "\r\nDTSTART:" + ics_time(start->at) + "\r\nDTEND:" + ics_time(end->at) + "\r\nSUMMARY:" + summary +
                      "\r\nATTENDEE;RSVP=TRUE:mailto:" + std::string(email->get_string()) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    json::object out;
    json::object r;
    r["email"] = email->get_string();
    r["status"] = "pending";
    out["recipient"] = std::move(r);
    out["smart_invite_id"] = invite_id;
    out["callback_url"] = body->at("callback_url");
    out["event"] = *event;
    json::object attachments;
    attachments["icalendar"] = std::move(ics);
    out["attachments"] = std::move(attachments);
    ctx.state.smart_invites.put(record_key({app.client_id, invite_id, email->get_string()}), out);
    return json_response(200, out);
}

Response get_smart_invite(Context& ctx, const Request& req, const Application& app) {
    const std::string* id = req.param("smart_invite_id");
    const std::string* email = req.param("recipient_email");
    std::vector<FieldError> errors;
    if (id == nullptr || id->empty()) errors.push_back({"smart_invite_id", "errors.required", "smart_invite_id is required"});
    if (email == nullptr || email->empty()) errors.push_back({"recipient_email", "errors.required", "recipient_email is required"});
    if (!errors.empty()) return validation_error(errors);
    auto found = ctx.state.smart_invites.get(record_key({app.client_id, *id, *email}));
    if (!found) return api_error(404, "not_found", "unknown smart invite");
    return json_response(200, *found);
}

}  // namespace

std::optional<Response> app_api(Context& ctx, const Request& req) {
    const std::string& p = req.path;
    const std::string& m = req.method;
    if (p == "/v1/application_calendars") return m == "POST" ? application_calendars(ctx, req) : method_not_allowed("POST");
    const bool rts = p == "/v1/real_time_scheduling";
    const bool invites = p == "/v1/smart_invites";
    const bool avail = p == "/v1/availability";
    if (!rts && !invites && !avail) return std::nullopt;
    if ((rts || avail) && m != "POST") return method_not_allowed("POST");
    if (invites && m != "POST" && m != "GET") return method_not_allowed("GET, POST");

    if (avail) {
        // The client secret (queries across accounts), or an account's access token.
        const auto bearer = bearer_of(req);
        if (!bearer) return unauthorized("Authorization: Bearer <access token or client secret> is required");
        AvailabilityCaller caller;
        if (auto app = application_by_secret(ctx, *bearer)) {
            if (auto limited = check_rate_limit(ctx, *app)) return std::move(*limited);
            caller.client_id = app->client_id;
        } else if (auto b = ctx.state.grants.authenticate(*bearer, ctx.state.clock.now())) {
            auto owner = ctx.state.directory.application(b->client_id);
            if (!owner) return unauthorized("the application no longer exists");
            if (auto limited = check_rate_limit(ctx, *owner)) return std::move(*limited);
            caller.client_id = b->client_id;
            caller.account_id = b->account_id;
        } else {
            return unauthorized("the bearer is neither a valid access token nor a client secret");
        }
        return availability(ctx, req, caller);
    }
    auto caller = secret_caller(ctx, req);
    if (auto* error = std::get_if<Response>(&caller)) return std::move(*error);
    const Application& app = std::get<Application>(caller);
    if (auto limited = check_rate_limit(ctx, app)) return std::move(*limited);
    if (rts) return real_time_scheduling(ctx, req, app);
    return m == "POST" ? create_smart_invite(ctx, req, app) : get_smart_invite(ctx, req, app);
}

}  // namespace calbridge::sandbox
