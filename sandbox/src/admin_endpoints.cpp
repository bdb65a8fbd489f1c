// The admin API (README "Admin API"): provisioning, reset, settings, the clock, headless
// consent, counters and fault injection. The router has checked the admin token.
#include "endpoints.hpp"
#include "json_util.hpp"
#include "model_json.hpp"
#include "push.hpp"
#include "times.hpp"
#include "uri.hpp"

#include <boost/url/url_view.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <variant>

namespace calbridge::sandbox {

namespace {

constexpr std::size_t default_user_list = 1000;

Response ok(const json::value& body) { return json_response(200, body); }

Response bad_body() { return api_error(400, "invalid_request", "the body must be a JSON object"); }

// The body as a JSON object; an empty body reads as {}.
std::optional<json::object> object_body(const Request& req) {
    if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
    auto v = parse_json(req.body);
    if (!v || !v->is_object()) return std::nullopt;
    return std::move(v->as_object());
}

// A long poll's parameters, ?<name>=N[&wait_ms=T]: the admin call answers once its count
// reaches N, or after T ms (default 10,000, at most 60,000) with things as they are then.
struct LongPoll {
    std::uint64_t count = 0;
    std::chrono::milliseconds wait{10'000};
};

// Nothing (monostate) when the request has no <name>; a 400 to answer when it is malformed.
std::variant<std::monostate, LongPoll, Response> long_poll(const Request& req, const char* name) {
    const std::string* count = req.param(name);
    if (count == nullptr) return std::monostate{};
    const long n = std::strtol(count->c_str(), nullptr, 10);
    long wait_ms = 10000;
    if (const std::string* w = req.param("wait_ms")) wait_ms = std::strtol(w->c_str(), nullptr, 10);
    if (n < 0 || wait_ms < 0 || wait_ms > 60000) {
        return api_error(400, "invalid_request", std::string(name) + " must be a count and wait_ms 0 to 60000");
    }
    return LongPoll{static_cast<std::uint64_t>(n), std::chrono::milliseconds(wait_ms)};
}

// GET /admin/counters' long polls, each ?<name>=N with one wait_ms for all of them:
//   faults_applied=N            N requests have met a fault rule since the counters were reset
//                               (a "delay" rule's request is then held, in flight);
//   in_flight_at_most=N         at most N requests in flight, this one included (1: idle);
//   in_flight_at_least=N        at least N in flight, this one included;
//   connections_open_at_most=N  at most N connections open, this one's included.
// The answer comes when all that were given hold, or once wait_ms passed, with the counters as
// they are then: the caller compares. A malformed one is a 400, before any wait.
std::optional<Response> wait_for_counters(Context& ctx, const Request& req) {
    const auto applied = long_poll(req, "faults_applied");
    const auto at_most = long_poll(req, "in_flight_at_most");
    const auto at_least = long_poll(req, "in_flight_at_least");
    const auto open_at_most = long_poll(req, "connections_open_at_most");
    for (const auto* poll : {&applied, &at_most, &at_least, &open_at_most}) {
        if (const auto* refusal = std::get_if<Response>(poll)) return *refusal;
    }
    const auto started = std::chrono::steady_clock::now();
    auto remaining = [&](const LongPoll& p) {
        const auto left = p.wait - std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started);
        return std::max(left, std::chrono::milliseconds(0));
    };
    if (const auto* p = std::get_if<LongPoll>(&applied)) {
        ctx.state.faults.wait_applied(ctx.counters.faults_applied, p->count, remaining(*p));
    }
    const auto* most = std::get_if<LongPoll>(&at_most);
    const auto* least = std::get_if<LongPoll>(&at_least);
    const auto* open = std::get_if<LongPoll>(&open_at_most);
    const LongPoll* any = most != nullptr ? most : least != nullptr ? least : open;
    if (any == nullptr) return std::nullopt;
    Counters& c = ctx.counters;
    ctx.counters.wait_until(
        [&] {
            const auto in_flight = c.in_flight.load(std::memory_order_relaxed);
            const auto connections = c.connections_open.load(std::memory_order_relaxed);
            return (most == nullptr || in_flight <= most->count) && (least == nullptr || in_flight >= least->count) &&
                   (open == nullptr || connections <= open->count);
        },
        remaining(*any));
    return std::nullopt;
}

json::object counters_json(const Counters& c) {
    auto get = [](const Counters::Count& n) { return n.load(std::memory_order_relaxed); };
    json::object o;
    o["requests"] = get(c.requests);
    o["in_flight"] = get(c.in_flight);
    o["in_flight_peak"] = get(c.in_flight_peak);
    o["connections_open"] = get(c.connections_open);
    o["connections_accepted"] = get(c.connections_accepted);
    o["tls_handshake_failures"] = get(c.tls_handshake_failures);
    o["timeouts"] = get(c.timeouts);
    o["bad_requests"] = get(c.bad_requests);
    json::object tokens;
    tokens["authorization_code"] = get(c.token_authorization_code);
    tokens["refresh_token"] = get(c.token_refresh_token);
    tokens["other"] = get(c.token_other);
    o["token_requests"] = std::move(tokens);
    o["revocations"] = get(c.revocations);
    o["rate_limited"] = get(c.rate_limited);
    o["faults_applied"] = get(c.faults_applied);
    json::object responses;
    responses["2xx"] = get(c.responses_2xx);
    responses["3xx"] = get(c.responses_3xx);
    responses["4xx"] = get(c.responses_4xx);
    responses["5xx"] = get(c.responses_5xx);
    o["responses"] = std::move(responses);
    return o;
}

// ---- applications --------------------------------------------------------------------------

Response applications(Context& ctx, const Request& req, const std::vector<std::string_view>& seg) {
    Directory& dir = ctx.state.directory;
    if (seg.size() == 2) {
        if (req.method == "GET") {
            json::array list;
            for (const auto& app : dir.applications()) list.push_back(write_application(app));
            json::object body;
            body["applications"] = std::move(list);
            return ok(body);
        }
        if (req.method == "POST") {
            auto body = object_body(req);
            if (!body) return bad_body();
            // One application, or {"applications": [...]}.
            std::vector<Application> apps;
            if (const auto* many = get_array(*body, "applications")) {
                for (std::size_t i = 0; i < many->size(); ++i) {
                    const std::string where = "applications[" + std::to_string(i) + "]";
                    try {
                        apps.push_back(read_application(as_object((*many)[i], where)));
                    } catch (const InputError& e) {
                        throw e.within(where);
                    }
                }
            } else {
                apps.push_back(read_application(*body));
            }
            json::array out;
            for (auto& app : apps) {
                out.push_back(write_application(app));
                dir.put_application(std::move(app));
            }
            if (body->contains("applications")) {
                json::object result;
                result["applications"] = std::move(out);
                return json_response(201, result);
            }
            return json_response(201, out.front());
        }
        return method_not_allowed("GET, POST");
    }
    if (seg.size() != 3) return not_found();
    const std::string id(seg[2]);
    if (req.method == "GET") {
        auto app = dir.application(id);
        return app ? ok(write_application(*app)) : not_found();
    }
    if (req.method == "PUT") {
        auto body = object_body(req);
        if (!body) return bad_body();
        (*body)["client_id"] = id;
        Application app = read_application(*body);
        const bool existed = dir.application(id).has_value();
        json::object out = write_application(app);
        dir.put_application(std::move(app));
        return json_response(existed ? 200 : 201, out);
    }
    if (req.method == "DELETE") {
        if (!dir.remove_application(id)) return not_found();
        ctx.state.grants.revoke_all_for_client(id);
        ctx.state.channels.remove_client(id);
        return empty_response(204);
    }
    return method_not_allowed("GET, PUT, DELETE");
}

// ---- users -----------------------------------------------------------------------------------

std::vector<User> read_users(const json::object& body, std::int64_t now, bool& many) {
    std::vector<User> users;
    const auto* list = get_array(body, "users");
    many = list != nullptr;
    if (!many) {
        users.push_back(read_user(body, now));
        return users;
    }
    users.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string where = "users[" + std::to_string(i) + "]";
        try {
            users.push_back(read_user(as_object((*list)[i], where), now));
        } catch (const InputError& e) {
            throw e.within(where);
        }
    }
    return users;
}

Response users(Context& ctx, const Request& req, const std::vector<std::string_view>& seg) {
    Directory& dir = ctx.state.directory;
    if (seg.size() == 2) {
        if (req.method == "GET") {
            std::size_t limit = default_user_list;
            if (const std::string* l = req.param("limit")) limit = std::strtoul(l->c_str(), nullptr, 10);
            json::array list;
            for (const auto& u : dir.list_users(limit)) {
                json::object o;
                o["account_id"] = u.account_id;
                o["email"] = u.email;
                o["name"] = u.name;
                list.push_back(std::move(o));
            }
            json::object body;
            body["count"] = dir.user_count();
            body["users"] = std::move(list);
            return ok(body);
        }
        if (req.method == "POST") {
            auto body = object_body(req);
            if (!body) return bad_body();
            bool many = false;
            std::vector<User> list = read_users(*body, ctx.state.clock.now(), many);
            json::array out;
            out.reserve(list.size());
            for (const auto& u : list) {
                json::object o;
                o["account_id"] = u.account_id;
                o["email"] = u.email;
                if (!many) o = write_user(u);
                out.push_back(std::move(o));
            }
            std::vector<std::string> changed;
            for (const auto& u : list) changed.push_back(u.account_id);
            dir.put_users(std::move(list));
            for (const auto& id : changed) push_change(ctx.state, {id, {}, {}, ctx.state.clock.now()});
            if (!many) return json_response(201, out.front());
            json::object result;
            result["count"] = out.size();
            result["users"] = std::move(out);
            return json_response(201, result);
        }
        if (req.method == "DELETE") {
            for (const auto& u : dir.list_users(static_cast<std::size_t>(-1))) {
                ctx.state.grants.revoke_all_for_account(u.account_id);
                ctx.state.channels.remove_account(u.account_id);
            }
            dir.remove_all_users();
            return empty_response(204);
        }
        return method_not_allowed("GET, POST, DELETE");
    }
    if (seg.size() == 6 && seg[3] == "profiles" && (seg[5] == "disconnect" || seg[5] == "reconnect")) {
        if (req.method != "POST") return method_not_allowed("POST");
        const std::string account(seg[2]);
        const bool connect = seg[5] == "reconnect";
        const bool found = dir.write_user(account, [&](User* u) {
            Profile* p = u != nullptr ? u->profile(seg[4]) : nullptr;
            if (p == nullptr) return false;
            p->connected = connect;
            return true;
        });
        if (!found) return not_found();
        if (!connect) push_profile_disconnected(ctx.state, account);
        return empty_response(204);
    }
    if (seg.size() != 3) return not_found();
    const std::string id(seg[2]);
    if (req.method == "GET") {
        json::object out;
        const bool found = dir.read_user(id, [&](const User* u) {
            if (u != nullptr) out = write_user(*u);
            return u != nullptr;
        });
        return found ? ok(out) : not_found();
    }
    if (req.method == "PUT") {
        auto body = object_body(req);
        if (!body) return bad_body();
        (*body)["account_id"] = id;
        bool many = false;
        std::vector<User> list = read_users(*body, ctx.state.clock.now(), many);
        const bool existed = dir.find_user(id).has_value();
        json::object out = write_user(list.front());
        dir.put_users(std::move(list));
        push_change(ctx.state, {id, {}, {}, ctx.state.clock.now()});
        return json_response(existed ? 200 : 201, out);
    }
    if (req.method == "DELETE") {
        if (!dir.remove_user(id)) return not_found();
        ctx.state.grants.revoke_all_for_account(id);
        ctx.state.channels.remove_account(id);
        return empty_response(204);
    }
    return method_not_allowed("GET, PUT, DELETE");
}

// ---- the rest --------------------------------------------------------------------------------

// {"url": "<authorization URL>"} or {"query": {...}}, plus "user" and "decision".
Response consent(Context& ctx, const Request& req) {
    auto body = object_body(req);
    if (!body) return bad_body();
    check_keys(*body, "consent", {"url", "query", "user", "decision"});
    Params query;
    if (auto url = get_string(*body, "url")) {
        auto u = parse_uri_reference_from_outside(*url);
        if (!u) throw InputError("url", "errors.invalid", "is not a URL");
        Request probe;
        probe.target = "/?" + std::string(u->encoded_query());
        if (!parse_target(probe)) throw InputError("url", "errors.invalid", "has a malformed query");
        query = std::move(probe.query);
    } else if (const auto* q = get_object(*body, "query")) {
        for (const auto& kv : *q) {
            if (!kv.value().is_string()) throw InputError("query." + std::string(kv.key()), "errors.invalid", "must be a string");
            query.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        }
    } else {
        throw InputError("url", "errors.required", "url (the authorization URL) or query is required");
    }
    const std::string decision = get_string(*body, "decision").value_or("approve");
    if (decision != "approve" && decision != "deny") throw InputError("decision", "errors.invalid", "must be approve or deny");
    const std::string user = get_string(*body, "user", decision == "approve").value_or("");
    auto result = headless_consent(ctx, query, user, decision == "approve");
    if (auto* error = std::get_if<Response>(&result)) return std::move(*error);
    json::object out;
    out["redirect"] = std::get<std::string>(result);
    return ok(out);
}

Response grants(Context& ctx) {
    json::array list;
    for (const auto& g : ctx.state.grants.grants(ctx.state.clock.now())) {
        json::object o;
        o["grant_id"] = g.grant_id;
        o["client_id"] = g.client_id;
        o["account_id"] = g.account_id;
        json::array scopes;
        for (const auto& s : g.scopes) scopes.push_back(json::string(s));
        o["scopes"] = std::move(scopes);
        o["revoked"] = g.revoked;
        if (g.revoked) o["revoked_reason"] = g.revoked_reason;
        o["live_access_tokens"] = g.access_tokens;
        o["current_refresh_tokens"] = g.refresh_tokens;
        list.push_back(std::move(o));
    }
    json::object body;
    body["grants"] = std::move(list);
    return ok(body);
}

Response faults(Context& ctx, const Request& req, const std::vector<std::string_view>& seg) {
    Faults& f = ctx.state.faults;
    if (seg.size() == 3) {
        if (req.method != "DELETE") return method_not_allowed("DELETE");
        char* end = nullptr;
        const std::string id(seg[2]);
        const auto n = std::strtoull(id.c_str(), &end, 10);
        if (end == id.c_str() || *end != '\0' || !f.remove(n)) return not_found();
        return empty_response(204);
    }
    if (req.method == "GET") {
        json::array list;
        for (const auto& fault : f.list()) list.push_back(write_fault(fault));
        json::object body;
        body["faults"] = std::move(list);
        return ok(body);
    }
    if (req.method == "POST") {
        auto body = object_body(req);
        if (!body) return bad_body();
        Fault fault = read_fault(*body);
        fault.id = f.add(fault);
        return json_response(201, write_fault(fault));
    }
    if (req.method == "DELETE") {
        f.clear();
        return empty_response(204);
    }
    return method_not_allowed("GET, POST, DELETE");
}

Response deliveries(Context& ctx, const Request& req) {
    if (req.method == "DELETE") {
        ctx.state.deliveries.clear();
        return empty_response(204);
    }
    if (req.method != "GET") return method_not_allowed("GET, DELETE");
    // ?settled=N[&wait_ms=T]: answer once N deliveries exist and none is pending, or after T ms
    // with the log as it is.
    std::vector<DeliveryRecord> records;
    const auto poll = long_poll(req, "settled");
    if (const auto* refusal = std::get_if<Response>(&poll)) return *refusal;
    if (const auto* settled = std::get_if<LongPoll>(&poll)) {
        records = ctx.state.deliveries.wait_settled(static_cast<std::size_t>(settled->count), settled->wait);
    } else {
        records = ctx.state.deliveries.list();
    }
    json::array list;
    for (const auto& d : records) {
        json::object o;
        o["delivery_id"] = d.id;
        o["channel_id"] = d.channel_id;
        o["url"] = d.url;
        o["type"] = d.type;
        o["status"] = d.status;
        o["attempts"] = d.attempts.size();
        if (!d.attempts.empty()) o["response_status"] = d.response_status;
        json::array attempts;
        for (const auto& a : d.attempts) {
            json::object ao;
            ao["at_ms"] = a.at_ms;
            ao["response_status"] = a.response_status;
            if (!a.error.empty()) ao["error"] = a.error;
            attempts.push_back(std::move(ao));
        }
        o["attempt_log"] = std::move(attempts);
        o["body"] = d.body;
        list.push_back(std::move(o));
    }
    json::object body;
    body["deliveries"] = std::move(list);
    return ok(body);
}

json::object clock_reading(const Clock& clock) {
    json::object o;
    o["now"] = clock.now();
    o["offset"] = clock.offset();
    o["stopped"] = clock.stopped();
    return o;
}

Response status(Context& ctx) {
    json::object o;
    o["name"] = "calbridge-sandbox";
    o["version"] = CALBRIDGE_SANDBOX_VERSION;
    o["api_url"] = ctx.info.scheme + "://" + ctx.info.authority;
    o["applications"] = ctx.state.directory.applications().size();
    o["users"] = ctx.state.directory.user_count();
    o["clock_offset"] = ctx.state.clock.offset();
    o["clock_stopped"] = ctx.state.clock.stopped();
    o["settings"] = write_settings(ctx.state.settings());
    return ok(o);
}

}  // namespace

Response admin(Context& ctx, const Request& req) {
    const auto seg = path_segments(req.path);  // "admin", ...
    const std::string_view what = seg.size() >= 2 ? seg[1] : std::string_view();
    const std::string& m = req.method;
    try {
        if (what == "status" && seg.size() == 2) return m == "GET" ? status(ctx) : method_not_allowed("GET");
        if (what == "reset" && seg.size() == 2) {
            if (m != "POST") return method_not_allowed("POST");
            ctx.state.reset();
            ctx.counters.reset();
            return status(ctx);
        }
        if (what == "settings" && seg.size() == 2) {
            if (m == "GET") return ok(write_settings(ctx.state.settings()));
            if (m != "PATCH" && m != "PUT" && m != "POST") return method_not_allowed("GET, PATCH");
            auto body = object_body(req);
            if (!body) return bad_body();
            Settings s = ctx.state.settings();
            read_settings(*body, s);
            ctx.state.set_settings(s);
            return ok(write_settings(s));
        }
        if (what == "clock" && seg.size() == 2) {
            if (m == "GET") return ok(clock_reading(ctx.state.clock));
            if (m != "POST") return method_not_allowed("GET, POST");
            auto body = object_body(req);
            if (!body) return bad_body();
            check_keys(*body, "clock", {"advance_seconds", "stopped"});
            const auto by = get_int(*body, "advance_seconds", -10LL * 365 * 86400, 10LL * 365 * 86400);
            const auto stopped = get_bool(*body, "stopped");
            if (!by && !stopped) throw InputError("advance_seconds", "errors.required", "advance_seconds or stopped is required");
            if (stopped == true) ctx.state.clock.stop();
            if (stopped == false) ctx.state.clock.start();
            if (by) ctx.state.clock.advance(*by);
            return ok(clock_reading(ctx.state.clock));
        }
        if (what == "applications") return applications(ctx, req, seg);
        if (what == "users") return users(ctx, req, seg);
        if (what == "consent" && seg.size() == 2) return m == "POST" ? consent(ctx, req) : method_not_allowed("POST");
        if (what == "grants" && seg.size() == 2) return m == "GET" ? grants(ctx) : method_not_allowed("GET");
        if (what == "tokens" && seg.size() == 3 && seg[2] == "expire") {
            if (m != "POST") return method_not_allowed("POST");
            auto body = object_body(req);
            if (!body) return bad_body();
            check_keys(*body, "expire", {"access_token", "account_id"});
            const std::string token = get_string(*body, "access_token").value_or("");
            const std::string account = get_string(*body, "account_id").value_or("");
            if (token.empty() && account.empty()) {
                throw InputError("access_token", "errors.required", "access_token or account_id is required");
            }
            json::object o;
            o["expired"] = ctx.state.grants.expire_access_tokens(token, account, ctx.state.clock.now());
            return ok(o);
        }
        if (what == "counters" && seg.size() == 2) {
            if (m != "GET") return method_not_allowed("GET");
            if (auto refusal = wait_for_counters(ctx, req)) return *refusal;
            return ok(counters_json(ctx.counters));
        }
        if (what == "counters" && seg.size() == 3 && seg[2] == "reset") {
            if (m != "POST") return method_not_allowed("POST");
            ctx.counters.reset();
            return ok(counters_json(ctx.counters));
        }
        if (what == "faults" && (seg.size() == 2 || seg.size() == 3)) return faults(ctx, req, seg);
        if (what == "deliveries" && seg.size() == 2) return deliveries(ctx, req);
        return not_found();
    } catch (const InputError& e) {
        return input_error_response(e);
    }
}

}  // namespace calbridge::sandbox
