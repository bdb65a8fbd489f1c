#include "model_json.hpp"

#include "crypto.hpp"
#include "events.hpp"
#include "json_util.hpp"
#include "seed.hpp"
#include "uri.hpp"

#include <algorithm>

namespace calbridge::sandbox {

namespace {

// Ids and names end up in URLs, headers and HTML: printable ASCII without spaces.
void check_id(std::string_view id, const std::string& field) {
    if (id.empty() || id.size() > 256) throw InputError(field, "errors.invalid", "must be 1 to 256 characters");
    for (char c : id) {
        if (c <= ' ' || c > '~') throw InputError(field, "errors.invalid", "must be printable ASCII without spaces");
    }
}

struct SplitUri {
    std::string scheme, host, port, rest;
};

std::optional<SplitUri> split_uri(std::string_view text) {
    auto u = parse_absolute_uri_from_outside(text);
    if (!u || !u->has_authority()) return std::nullopt;
    SplitUri s;
    s.scheme = u->scheme();
    s.host = u->encoded_host();
    std::transform(s.host.begin(), s.host.end(), s.host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s.port = u->port();
    s.rest = std::string(u->encoded_path()) + (u->has_query() ? "?" + std::string(u->encoded_query()) : "");
    return s;
}

Profile read_profile(const json::object& o, const User& user, const std::string& where) {
    check_keys(o, where, {"profile_id", "provider_name", "profile_name", "connected"});
    Profile p;
    p.profile_id = get_string(o, "profile_id").value_or("pro_" + random_hex(24));
    check_id(p.profile_id, where + ".profile_id");
    p.provider_name = get_string(o, "provider_name").value_or("google");
    check_id(p.provider_name, where + ".provider_name");
    p.profile_name = get_string(o, "profile_name").value_or(user.email);
    p.connected = get_bool(o, "connected").value_or(true);
    return p;
}

Calendar read_calendar(const json::object& o, const User& user, const std::string& where) {
    check_keys(o, where, {"calendar_id", "profile_id", "calendar_name", "readonly", "primary", "deleted",
                          "permission_level"});
    Calendar c;
    c.calendar_id = get_string(o, "calendar_id").value_or("cal_" + random_hex(24));
    check_id(c.calendar_id, where + ".calendar_id");
    c.profile_id = get_string(o, "profile_id").value_or(user.profiles.front().profile_id);
    if (user.profile(c.profile_id) == nullptr) {
        throw InputError(where + ".profile_id", "errors.invalid", "is not one of the user's profiles");
    }
    c.calendar_name = get_string(o, "calendar_name").value_or(user.name);
    c.readonly = get_bool(o, "readonly").value_or(false);
    c.primary = get_bool(o, "primary").value_or(false);
    c.deleted = get_bool(o, "deleted").value_or(false);
    c.permission_level = get_string(o, "permission_level").value_or("unrestricted");
    if (c.permission_level != "unrestricted" && c.permission_level != "sandbox") {
        throw InputError(where + ".permission_level", "errors.invalid", "must be unrestricted or sandbox");
    }
    return c;
}

Event read_seed_event(const json::object& o, const User& user, std::int64_t now, const std::string& where) {
    check_keys(o, where, {"calendar_id", "event_uid", "event_id", "managed_by", "summary", "description", "start",
                          "end", "tzid", "location", "transparency", "status", "deleted"});
    auto parsed = read_event(o, false);
    if (auto* errors = std::get_if<std::vector<FieldError>>(&parsed)) {
        const FieldError& e = errors->front();
        throw InputError(where + "." + e.field, e.key, e.description);
    }
    Event e = std::get<Event>(std::move(parsed));
    const Calendar* primary = nullptr;
    for (const auto& c : user.calendars) {
        if (c.primary) {
            primary = &c;
            break;
        }
    }
    e.calendar_id = get_string(o, "calendar_id").value_or(primary != nullptr ? primary->calendar_id
                                                                            : user.calendars.front().calendar_id);
    if (user.calendar(e.calendar_id) == nullptr) {
        throw InputError(where + ".calendar_id", "errors.invalid", "is not one of the user's calendars");
    }
    e.event_uid = get_string(o, "event_uid").value_or("evt_external_" + random_hex(24));
    check_id(e.event_uid, where + ".event_uid");
    e.managed_by = get_string(o, "managed_by").value_or("");
    e.deleted = get_bool(o, "deleted").value_or(false);
    e.created = e.updated = now;
    return e;
}

}  // namespace

void check_redirect_uri_entry(std::string_view entry, std::string_view field) {
    const auto s = split_uri(entry);
    if (!s) throw InputError(std::string(field), "errors.invalid", "must be an absolute URI with a host");
    const auto star = s->host.find('*');
    if (star != std::string::npos && (s->host.rfind("*.", 0) != 0 || s->host.find('*', 1) != std::string::npos ||
                                      s->host.size() < 3)) {
        throw InputError(std::string(field), "errors.invalid", "may use '*' only as a leading \"*.\" host label");
    }
}

bool redirect_uri_registered(const Application& app, std::string_view redirect_uri) {
    const auto given = split_uri(redirect_uri);
    for (const auto& entry : app.redirect_uris) {
        if (entry == redirect_uri) return true;
        if (!given || entry.find("*.") == std::string::npos) continue;
        const auto reg = split_uri(entry);
        if (!reg || reg->host.rfind("*.", 0) != 0) continue;
        const std::string_view suffix = std::string_view(reg->host).substr(1);  // ".example.com"
        const std::string& host = given->host;
        const bool host_ok = host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                             host.front() != '.';
        if (host_ok && reg->scheme == given->scheme && reg->port == given->port && reg->rest == given->rest) return true;
    }
    return false;
}

Application read_application(const json::object& o) {
    check_keys(o, "application", {"client_id", "client_secret", "previous_client_secret", "name", "verified", "redirect_uris", "settings"});
    Application app;
    app.client_id = get_string(o, "client_id").value_or("cli_" + random_hex(24));
    check_id(app.client_id, "client_id");
    app.client_secret = get_string(o, "client_secret").value_or("sec_" + random_token(24));
    check_id(app.client_secret, "client_secret");
    app.previous_client_secret = get_string(o, "previous_client_secret").value_or("");
    if (!app.previous_client_secret.empty()) check_id(app.previous_client_secret, "previous_client_secret");
    app.name = get_string(o, "name").value_or("Application " + app.client_id);
    if (app.name.empty() || app.name.size() > 200) throw InputError("name", "errors.invalid", "must be 1 to 200 characters");
    app.verified = get_bool(o, "verified").value_or(false);
    if (const auto* uris = get_array(o, "redirect_uris")) {
        for (std::size_t i = 0; i < uris->size(); ++i) {
            const std::string field = "redirect_uris[" + std::to_string(i) + "]";
            if (!(*uris)[i].is_string()) throw InputError(field, "errors.invalid", "must be a string");
            check_redirect_uri_entry((*uris)[i].get_string(), field);
            app.redirect_uris.emplace_back((*uris)[i].get_string());
        }
    }
    if (const auto* s = get_object(o, "settings")) read_overrides(*s, app.overrides);
    return app;
}

json::object write_application(const Application& app) {
    json::object o;
    o["client_id"] = app.client_id;
    o["client_secret"] = app.client_secret;
    if (!app.previous_client_secret.empty()) o["previous_client_secret"] = app.previous_client_secret;
    o["name"] = app.name;
    o["verified"] = app.verified;
    json::array uris;
    for (const auto& u : app.redirect_uris) uris.push_back(json::string(u));
    o["redirect_uris"] = std::move(uris);
    o["settings"] = write_overrides(app.overrides);
    return o;
}

User read_user(const json::object& o, std::int64_t now) {
    check_keys(o, "user", {"account_id", "email", "name", "default_tzid", "profiles", "calendars", "events",
                           "generate_events"});
    User u;
    u.account_id = get_string(o, "account_id").value_or("acc_" + random_hex(24));
    check_id(u.account_id, "account_id");
    u.email = get_string(o, "email", true).value();
    check_id(u.email, "email");
    if (u.email.find('@') == std::string::npos) throw InputError("email", "errors.invalid", "must be an e-mail address");
    u.name = get_string(o, "name").value_or(u.email.substr(0, u.email.find('@')));
    u.default_tzid = get_string(o, "default_tzid").value_or("Etc/UTC");
    if (!valid_tzid(u.default_tzid)) throw InputError("default_tzid", "errors.invalid", "unknown time zone");

    if (const auto* profiles = get_array(o, "profiles"); profiles != nullptr && !profiles->empty()) {
        for (std::size_t i = 0; i < profiles->size(); ++i) {
            const std::string where = "profiles[" + std::to_string(i) + "]";
            u.profiles.push_back(read_profile(as_object((*profiles)[i], where), u, where));
        }
    } else {
        u.profiles.push_back({"pro_" + random_hex(24), "google", u.email, true});
    }
    if (const auto* calendars = get_array(o, "calendars"); calendars != nullptr && !calendars->empty()) {
        for (std::size_t i = 0; i < calendars->size(); ++i) {
            const std::string where = "calendars[" + std::to_string(i) + "]";
            u.calendars.push_back(read_calendar(as_object((*calendars)[i], where), u, where));
        }
    } else {
        u.calendars.push_back({"cal_" + random_hex(24), u.profiles.front().profile_id, u.name, false, true, false,
                               "unrestricted"});
    }
    if (const auto* events = get_array(o, "events")) {
        for (std::size_t i = 0; i < events->size(); ++i) {
            const std::string where = "events[" + std::to_string(i) + "]";
            u.events.push_back(read_seed_event(as_object((*events)[i], where), u, now, where));
        }
    }
    if (auto n = get_int(o, "generate_events", 0, 100000); n && *n > 0) {
        const Calendar* target = &u.calendars.front();
        for (const auto& c : u.calendars) {
            if (c.primary) {
                target = &c;
                break;
            }
        }
        for (auto& e : generate_events(target->calendar_id, static_cast<int>(*n), now)) u.events.push_back(std::move(e));
    }
    u.sort_events();
    return u;
}

json::object write_user(const User& u) {
    json::object o;
    o["account_id"] = u.account_id;
    o["email"] = u.email;
    o["name"] = u.name;
    o["default_tzid"] = u.default_tzid;
    json::array profiles;
    for (const auto& p : u.profiles) {
        json::object po;
        po["profile_id"] = p.profile_id;
        po["provider_name"] = p.provider_name;
        po["profile_name"] = p.profile_name;
        po["connected"] = p.connected;
        profiles.push_back(std::move(po));
    }
    o["profiles"] = std::move(profiles);
    json::array calendars;
    for (const auto& c : u.calendars) {
        json::object co;
        co["calendar_id"] = c.calendar_id;
        co["profile_id"] = c.profile_id;
        co["calendar_name"] = c.calendar_name;
        co["readonly"] = c.readonly;
        co["primary"] = c.primary;
        co["deleted"] = c.deleted;
        co["permission_level"] = c.permission_level;
        calendars.push_back(std::move(co));
    }
    o["calendars"] = std::move(calendars);
    o["event_count"] = u.events.size();
    return o;
}

json::object write_profile(const Profile& p, std::string_view account_id, std::string_view origin) {
    json::object o;
    o["provider_name"] = p.provider_name;
    o["profile_id"] = p.profile_id;
    o["profile_name"] = p.profile_name;
    o["profile_connected"] = p.connected;
    if (!p.connected) {
        o["profile_relink_url"] = std::string(origin) + "/relink/" + std::string(account_id) + "/" + p.profile_id;
    }
    return o;
}

json::object write_calendar(const Calendar& c, const Profile& p) {
    json::object o;
    o["provider_name"] = p.provider_name;
    o["profile_id"] = p.profile_id;
    o["profile_name"] = p.profile_name;
    o["calendar_id"] = c.calendar_id;
    o["calendar_name"] = c.calendar_name;
    o["calendar_readonly"] = c.readonly;
    o["calendar_deleted"] = c.deleted;
    o["calendar_primary"] = c.primary;
    o["calendar_integrated_conferencing_available"] = false;
    o["calendar_attachments_available"] = false;
    o["permission_level"] = c.permission_level;
    return o;
}

}  // namespace calbridge::sandbox
