#include "availability.hpp"

#include "json_util.hpp"
#include "times.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace calbridge::sandbox {

namespace {

constexpr std::int64_t minute = 60;
constexpr std::int64_t max_span = 35 * seconds_per_day;
constexpr std::int64_t past_grace = 5 * 60;  // a start computed as "now" by a client is not refused
constexpr std::size_t max_periods = 50;
constexpr std::size_t max_groups = 10;
constexpr std::size_t max_members = 10;
constexpr std::int64_t default_max_results = 256;
constexpr std::int64_t max_max_results = 512;
constexpr std::int64_t default_start_interval = 30;
constexpr std::int64_t allowed_intervals[] = {5, 10, 15, 20, 30, 60};

struct Interval {
    std::int64_t start = 0;
    std::int64_t end = 0;
};
using Intervals = std::vector<Interval>;  // sorted, disjoint

struct Member {
    std::string sub;
    std::optional<std::vector<std::string>> calendar_ids;
};

struct Group {
    std::vector<Member> members;
    std::size_t required = 0;  // how many members must be free
};

struct Query {
    std::vector<Group> groups;
    std::int64_t duration = 0;  // seconds
    Intervals periods;
    std::int64_t before = 0;
    std::int64_t after = 0;
    std::int64_t interval = default_start_interval * minute;
    std::size_t max_results = default_max_results;
    std::string format = "periods";
};

Intervals normalize(Intervals v) {
    std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
    Intervals out;
    for (const auto& i : v) {
        if (i.end <= i.start) continue;
        if (!out.empty() && i.start <= out.back().end) out.back().end = std::max(out.back().end, i.end);
        else out.push_back(i);
    }
    return out;
}

Intervals subtract(const Intervals& from, const Intervals& busy) {  // both normalized
    Intervals out;
    std::size_t j = 0;
    for (Interval cur : from) {
        while (j < busy.size() && busy[j].end <= cur.start) ++j;
        std::size_t k = j;
        while (k < busy.size() && busy[k].start < cur.end) {
            if (busy[k].start > cur.start) out.push_back({cur.start, busy[k].start});
            cur.start = std::max(cur.start, busy[k].end);
            ++k;
        }
        if (cur.start < cur.end) out.push_back(cur);
    }
    return out;
}

bool covers(const Intervals& set, std::int64_t a, std::int64_t b) {
    return std::any_of(set.begin(), set.end(), [&](const Interval& i) { return i.start <= a && b <= i.end; });
}

// {"minutes": n}: n in [min, max], or an error for `field`.
std::optional<std::int64_t> read_minutes(const json::value* v, const std::string& field, std::int64_t min, std::int64_t max,
                                         std::vector<FieldError>& errors) {
    if (v == nullptr) return std::nullopt;
    const json::value* m = v->is_object() ? v->as_object().if_contains("minutes") : nullptr;
    if (m == nullptr || !m->is_int64() || m->as_int64() < min || m->as_int64() > max) {
        errors.push_back({field, "errors.invalid",
                          field + " must be {\"minutes\": n} with n from " + std::to_string(min) + " to " + std::to_string(max)});
        return std::nullopt;
    }
    return m->as_int64();
}

std::optional<Query> read_query(const json::object& body, std::int64_t now, std::vector<FieldError>& errors) {
    Query q;
    // participants
    const json::value* parts = body.if_contains("participants");
    if (parts == nullptr) {
        errors.push_back({"participants", "errors.required", "participants is required"});
    } else if (!parts->is_array() || parts->as_array().empty() || parts->as_array().size() > max_groups) {
        errors.push_back({"participants", "errors.invalid", "participants must be an array of 1 to 10 groups"});
    } else {
        const auto& groups = parts->as_array();
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const std::string where = "participants[" + std::to_string(g) + "]";
            if (!groups[g].is_object()) {
                errors.push_back({where, "errors.invalid", "must be an object"});
                continue;
            }
            const json::object& go = groups[g].as_object();
            Group group;
            const json::value* members = go.if_contains("members");
            if (members == nullptr || !members->is_array() || members->as_array().empty() ||
                members->as_array().size() > max_members) {
                errors.push_back({where + ".members", members == nullptr ? "errors.required" : "errors.invalid",
                                  "members must be an array of 1 to 10 members"});
                continue;
            }
            for (std::size_t i = 0; i < members->as_array().size(); ++i) {
                const std::string mwhere = where + ".members[" + std::to_string(i) + "]";
                const json::value& mv = members->as_array()[i];
                const json::value* sub = mv.is_object() ? mv.as_object().if_contains("sub") : nullptr;
                if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) {
                    errors.push_back({mwhere + ".sub", "errors.required", "sub is required"});
                    continue;
                }
                Member m;
                m.sub = std::string(sub->get_string());
                if (const json::value* ids = mv.as_object().if_contains("calendar_ids")) {
                    bool ok = ids->is_array();
                    std::vector<std::string> list;
                    if (ok) {
                        for (const auto& id : ids->as_array()) {
                            if (!id.is_string()) ok = false;
                            else list.emplace_back(id.get_string());
                        }
                    }
                    if (!ok) errors.push_back({mwhere + ".calendar_ids", "errors.invalid", "must be an array of calendar ids"});
                    m.calendar_ids = std::move(list);
                }
                group.members.push_back(std::move(m));
            }
            group.required = group.members.size();
            if (const json::value* r = go.if_contains("required")) {
                if (r->is_string() && r->get_string() == "all") {
                    group.required = group.members.size();
                } else if (r->is_int64() && r->as_int64() >= 1 &&
                           r->as_int64() <= static_cast<std::int64_t>(members->as_array().size())) {
                    group.required = static_cast<std::size_t>(r->as_int64());
                } else {
                    errors.push_back({where + ".required", "errors.invalid",
                                      "required must be \"all\" or a number from 1 to the number of members"});
                }
            }
            q.groups.push_back(std::move(group));
        }
    }
    // required_duration
    if (!body.contains("required_duration")) {
        errors.push_back({"required_duration", "errors.required", "required_duration is required"});
    } else if (auto d = read_minutes(body.if_contains("required_duration"), "required_duration", 1, 1440, errors)) {
        q.duration = *d * minute;
    }
    // available_periods
    const json::value* periods = body.if_contains("available_periods");
    if (periods == nullptr) {
        errors.push_back({"available_periods", "errors.required", "available_periods is required"});
    } else if (!periods->is_array() || periods->as_array().empty() || periods->as_array().size() > max_periods) {
        errors.push_back({"available_periods", "errors.invalid", "available_periods must be an array of 1 to 50 periods"});
    } else {
        Intervals list;
        bool ok = true;
        for (std::size_t i = 0; i < periods->as_array().size(); ++i) {
            const std::string where = "available_periods[" + std::to_string(i) + "]";
            const json::value& pv = periods->as_array()[i];
            std::optional<std::int64_t> start, end;
            if (pv.is_object()) {
                const auto& po = pv.as_object();
                if (const auto* s = po.if_contains("start"); s != nullptr && s->is_string()) start = parse_rfc3339(s->get_string());
                if (const auto* e = po.if_contains("end"); e != nullptr && e->is_string()) end = parse_rfc3339(e->get_string());
            }
            if (!start) errors.push_back({where + ".start", "errors.invalid", "start must be an RFC 3339 time"});
            if (!end) errors.push_back({where + ".end", "errors.invalid", "end must be an RFC 3339 time"});
            if (!start || !end) {
                ok = false;
                continue;
            }
            if (*end <= *start) {
                errors.push_back({where + ".end", "errors.invalid", "end must be after start"});
                ok = false;
            } else if (*start < now - past_grace) {
                errors.push_back({where + ".start", "errors.in_the_past", "start must not be in the past"});
                ok = false;
            }
            list.push_back({*start, *end});
        }
        if (ok) {
            q.periods = normalize(list);
            if (q.periods.back().end - q.periods.front().start > max_span) {
                errors.push_back({"available_periods", "errors.too_long",
                                  "the periods must lie within 35 days of the first start"});
            }
        }
    }
    // buffer
    if (const json::value* b = body.if_contains("buffer")) {
        if (!b->is_object()) {
            errors.push_back({"buffer", "errors.invalid", "buffer must be an object"});
        } else {
            if (auto m = read_minutes(b->as_object().if_contains("before"), "buffer.before", 0, 1440, errors)) q.before = *m * minute;
            if (auto m = read_minutes(b->as_object().if_contains("after"), "buffer.after", 0, 1440, errors)) q.after = *m * minute;
        }
    }
    if (const json::value* si = body.if_contains("start_interval")) {
        if (auto m = read_minutes(si, "start_interval", 1, 1440, errors)) {
            if (std::find(std::begin(allowed_intervals), std::end(allowed_intervals), *m) == std::end(allowed_intervals)) {
                errors.push_back({"start_interval", "errors.invalid", "start_interval must be 5, 10, 15, 20, 30 or 60 minutes"});
            }
            q.interval = *m * minute;
        }
    }
    if (const json::value* mr = body.if_contains("max_results")) {
        if (!mr->is_int64() || mr->as_int64() < 1 || mr->as_int64() > max_max_results) {
            errors.push_back({"max_results", "errors.invalid", "max_results must be a number from 1 to 512"});
        } else {
            q.max_results = static_cast<std::size_t>(mr->as_int64());
        }
    }
    if (const json::value* rf = body.if_contains("response_format")) {
        if (!rf->is_string() ||
            (rf->get_string() != "periods" && rf->get_string() != "slots" && rf->get_string() != "overlapping_slots")) {
            errors.push_back({"response_format", "errors.invalid", "response_format must be periods, slots or overlapping_slots"});
        } else {
            q.format = std::string(rf->get_string());
        }
    }
    if (!errors.empty()) return std::nullopt;
    return q;
}

// The member's free time within the periods: busy events (not deleted, not transparent, not
// cancelled, on a calendar the API shows) widened by the buffers, subtracted.
Intervals free_time(const User& u, const Member& m, const Query& q) {
    Intervals busy;
    for (const auto& e : u.events) {
        if (e.deleted || e.transparency == "transparent" || e.status == "cancelled") continue;
        const Calendar* c = u.calendar(e.calendar_id);
        if (c == nullptr || !u.calendar_visible(*c)) continue;
        if (m.calendar_ids && std::find(m.calendar_ids->begin(), m.calendar_ids->end(), e.calendar_id) == m.calendar_ids->end()) {
            continue;
        }
        busy.push_back({e.start_at - q.after, e.end_at + q.before});
    }
    return subtract(q.periods, normalize(std::move(busy)));
}

std::int64_t align_up(std::int64_t t, std::int64_t step) {
    const std::int64_t r = ((t % step) + step) % step;
    return r == 0 ? t : t + (step - r);
}

}  // namespace

Response availability(Context& ctx, const Request& req, const AvailabilityCaller& caller) {
    auto v = parse_json(req.body);
    if (!v || !v->is_object()) return validation_error({{"request", "errors.invalid_json", "the body must be a JSON object"}});
    std::vector<FieldError> errors;
    auto q = read_query(v->as_object(), ctx.state.clock.now(), errors);
    if (!q) return validation_error(errors);

    // Every member's free time; unknown or unauthorized subs are field errors.
    std::map<std::string, Intervals> free;  // by "group/member"
    std::vector<std::string> order;         // subs in the order given, once each
    for (std::size_t g = 0; g < q->groups.size(); ++g) {
        for (std::size_t i = 0; i < q->groups[g].members.size(); ++i) {
            const Member& m = q->groups[g].members[i];
            const std::string where = "participants[" + std::to_string(g) + "].members[" + std::to_string(i) + "].sub";
            const bool allowed = caller.account_id ? *caller.account_id == m.sub
                                                   : ctx.state.grants.authorized(caller.client_id, m.sub);
            std::optional<Intervals> f;
            if (allowed) {
                ctx.state.directory.read_user(m.sub, [&](const User* u) {
                    if (u != nullptr) f = free_time(*u, m, *q);
                    return 0;
                });
            }
            if (!f) {
                errors.push_back({where, "errors.not_authorized",
                                  caller.account_id ? "an account's token can only ask about that account"
                                                    : "not an account that has authorized this application"});
                continue;
            }
            free[std::to_string(g) + "/" + std::to_string(i)] = std::move(*f);
            if (std::find(order.begin(), order.end(), m.sub) == order.end()) order.push_back(m.sub);
        }
    }
    if (!errors.empty()) return validation_error(errors);

    // Cut the periods at every boundary of anyone's free time; keep the pieces where every
    // group has enough free members, merged while the set of free members stays the same.
    std::set<std::int64_t> cuts;
    for (const auto& p : q->periods) cuts.insert({p.start, p.end});
    for (const auto& [key, f] : free) {
        for (const auto& i : f) cuts.insert({i.start, i.end});
    }
    struct Piece {
        Interval span;
        std::vector<std::string> subs;
    };
    std::vector<Piece> pieces;
    for (auto it = cuts.begin(); it != cuts.end() && std::next(it) != cuts.end(); ++it) {
        const std::int64_t a = *it;
        const std::int64_t b = *std::next(it);
        if (!covers(q->periods, a, b)) continue;
        std::set<std::string> subs;
        bool ok = true;
        for (std::size_t g = 0; g < q->groups.size() && ok; ++g) {
            std::size_t n = 0;
            for (std::size_t i = 0; i < q->groups[g].members.size(); ++i) {
                if (covers(free[std::to_string(g) + "/" + std::to_string(i)], a, b)) {
                    ++n;
                    subs.insert(q->groups[g].members[i].sub);
                }
            }
            ok = n >= q->groups[g].required;
        }
        if (!ok) continue;
        std::vector<std::string> ordered;
        for (const auto& s : order) {
            if (subs.count(s) != 0) ordered.push_back(s);
        }
        if (!pieces.empty() && pieces.back().span.end == a && pieces.back().subs == ordered) {
            pieces.back().span.end = b;
        } else {
            pieces.push_back({{a, b}, std::move(ordered)});
        }
    }

    json::array results;
    auto emit = [&](std::int64_t a, std::int64_t b, const std::vector<std::string>& subs) {
        json::object o;
        o["start"] = format_rfc3339(a);
        o["end"] = format_rfc3339(b);
        json::array ps;
        for (const auto& s : subs) {
            json::object p;
            p["sub"] = s;
            ps.push_back(std::move(p));
        }
        o["participants"] = std::move(ps);
        results.push_back(std::move(o));
    };
    for (const auto& p : pieces) {
        if (results.size() >= q->max_results) break;
        if (q->format == "periods") {
            if (p.span.end - p.span.start >= q->duration) emit(p.span.start, p.span.end, p.subs);
            continue;
        }
        for (std::int64_t t = align_up(p.span.start, q->interval);
             t + q->duration <= p.span.end && results.size() < q->max_results;) {
            emit(t, t + q->duration, p.subs);
            t = q->format == "slots" ? align_up(t + q->duration, q->interval) : t + q->interval;
        }
    }
    json::object body;
    body[q->format == "periods" ? "available_periods" : "available_slots"] = std::move(results);
    return json_response(200, body);
}

}  // namespace calbridge::sandbox
