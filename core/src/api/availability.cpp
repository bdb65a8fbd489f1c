// Availability (docs/PROTOCOL.md §8): the query's JSON, the reply's typed periods and slots, and
// the call with an account's token (Session) or the client secret (Client).
#include <calbridge/client.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/scheduling.hpp>
#include <calbridge/session.hpp>

#include <climits>
#include <cstdint>

#include "api/results.hpp"
#include "api/api_url.hpp"
#include "api/callers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge {

namespace json = boost::json;

namespace detail {
HttpResponse send_availability_as_application(const ApplicationCaller& client, const CallOptions& options,
                                              std::string body);  // api/application_calls.cpp
}

namespace {

[[noreturn]] void invalid(const std::string& what) { throw InvalidArgumentError("availability query: " + what); }

json::object minutes(std::chrono::minutes m) {
    json::object o;
    o["minutes"] = m.count();
    return o;
}

std::string time_text(WallTime t) {
    if (std::chrono::floor<std::chrono::seconds>(t) != t) {
        // Never rounded: a period silently moved is a wrong answer.
        invalid("times must be whole seconds");
    }
    return format_rfc3339(t);
}

WallTime read_time(const json::object& item, std::string_view key) {
    const auto* v = item.if_contains(key);
    if (v == nullptr || !v->is_string()) {
        throw ProtocolError("availability: a period has no \"" + std::string(key) + "\" time");
    }
    const auto t = parse_rfc3339(std::string_view(v->get_string()));
    if (!t) throw ProtocolError("availability: a period's \"" + std::string(key) + "\" is not an RFC 3339 time");
    return *t;
}

AvailableTime read_available_time(const json::object& item) {
    AvailableTime out;
    out.start = read_time(item, "start");
    out.end = read_time(item, "end");
    if (const auto* p = item.if_contains("participants"); p != nullptr && p->is_array()) {
        for (const auto& participant : p->get_array()) {
            if (!participant.is_object()) continue;
            const auto* sub = participant.get_object().if_contains("sub");
            if (sub != nullptr && sub->is_string()) out.participants.emplace_back(sub->get_string());
        }
    }
    out.raw_json = json::serialize(item);
    return out;
}

// ---- reading a query from JSON ----

const json::object& as_object(const json::value& v, const std::string& at) {
    if (!v.is_object()) invalid(at + " is not an object");
    return v.get_object();
}

const json::array* array_member(const json::object& o, std::string_view key, const std::string& at) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) invalid(at + std::string(key) + " is not an array");
    return &v->get_array();
}

std::string string_value(const json::value& v, const std::string& at) {
    if (!v.is_string()) invalid(at + " is not a string");
    return std::string(v.get_string());
}

std::int64_t integer_value(const json::value& v, const std::string& at) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT32_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    invalid(at + " is not an integer");
}

int int_value(const json::value& v, const std::string& at) {
    const std::int64_t n = integer_value(v, at);
    if (n < INT32_MIN || n > INT32_MAX) invalid(at + " is out of range");
    return static_cast<int>(n);
}

// {"minutes": n} or {"hours": n} (not both).
std::chrono::minutes duration_value(const json::value& v, const std::string& at) {
    const auto& o = as_object(v, at);
    const auto* m = o.if_contains("minutes");
    const auto* h = o.if_contains("hours");
    if ((m == nullptr) == (h == nullptr) || o.size() != 1) invalid(at + " must be {\"minutes\": n} or {\"hours\": n}");
    if (m != nullptr) return std::chrono::minutes(int_value(*m, at + ".minutes"));
    const int hours = int_value(*h, at + ".hours");
    if (hours > 1'000'000 || hours < -1'000'000) invalid(at + ".hours is out of range");
    return std::chrono::hours(hours);
}

WallTime time_value(const json::value& v, const std::string& at) {
    const auto t = parse_rfc3339(string_value(v, at));
    if (!t) invalid(at + " is not an RFC 3339 time");
    return *t;
}

}  // namespace

AvailabilityQuery AvailabilityQuery::from_json(std::string_view text) {
    boost::system::error_code ec;
    const json::value root = json::parse(text, ec);
    if (ec) invalid("not JSON");
    const auto& o = as_object(root, "the query");
    AvailabilityQuery q;
    if (const auto* groups = array_member(o, "participants", "")) {
        for (std::size_t g = 0; g < groups->size(); ++g) {
            const std::string at = "participants[" + std::to_string(g) + "]";
            const auto& group = as_object((*groups)[g], at);
            AvailabilityParticipants participants;
            if (const auto* members = array_member(group, "members", at + ".")) {
                for (std::size_t i = 0; i < members->size(); ++i) {
                    const std::string mat = at + ".members[" + std::to_string(i) + "]";
                    const auto& member = as_object((*members)[i], mat);
                    AvailabilityMember m;
                    if (const auto* sub = member.if_contains("sub")) m.sub = string_value(*sub, mat + ".sub");
                    if (const auto* ids = array_member(member, "calendar_ids", mat + ".")) {
                        for (const auto& id : *ids) m.calendar_ids.push_back(string_value(id, mat + ".calendar_ids[]"));
                    }
                    participants.members.push_back(std::move(m));
                }
            }
            if (const auto* required = group.if_contains("required")) {
                if (required->is_string()) {
                    if (required->get_string() != "all") invalid(at + ".required must be \"all\" or a number");
                } else {
                    participants.required = int_value(*required, at + ".required");
                }
            }
            q.participants.push_back(std::move(participants));
        }
    }
    if (const auto* d = o.if_contains("required_duration")) q.required_duration = duration_value(*d, "required_duration");
    if (const auto* periods = array_member(o, "available_periods", "")) {
        for (std::size_t i = 0; i < periods->size(); ++i) {
            const std::string at = "available_periods[" + std::to_string(i) + "]";
            const auto& p = as_object((*periods)[i], at);
            const auto* start = p.if_contains("start");
            const auto* end = p.if_contains("end");
            if (start == nullptr || end == nullptr) invalid(at + " needs a start and an end");
            q.available_periods.push_back({time_value(*start, at + ".start"), time_value(*end, at + ".end")});
        }
    }
    if (const auto* buffer = o.if_contains("buffer")) {
        const auto& b = as_object(*buffer, "buffer");
        if (const auto* before = b.if_contains("before")) q.buffer_before = duration_value(*before, "buffer.before");
        if (const auto* after = b.if_contains("after")) q.buffer_after = duration_value(*after, "buffer.after");
    }
    if (const auto* interval = o.if_contains("start_interval")) q.start_interval = duration_value(*interval, "start_interval");
    if (const auto* max = o.if_contains("max_results")) q.max_results = int_value(*max, "max_results");
    if (const auto* format = o.if_contains("response_format")) {
        const std::string name = string_value(*format, "response_format");
        if (name == "periods") q.response_format = AvailabilityFormat::periods;
        else if (name == "slots") q.response_format = AvailabilityFormat::slots;
        else if (name == "overlapping_slots") q.response_format = AvailabilityFormat::overlapping_slots;
        else invalid("response_format must be periods, slots or overlapping_slots");
    }
    return q;
}

std::string_view availability_format_name(AvailabilityFormat format) noexcept {
    switch (format) {
    case AvailabilityFormat::periods: return "periods";
    case AvailabilityFormat::slots: return "slots";
    case AvailabilityFormat::overlapping_slots: return "overlapping_slots";
    }
    return "periods";
}

std::string AvailabilityQuery::to_json() const {
    if (participants.empty()) invalid("participants is empty");
    json::array groups;
    for (std::size_t g = 0; g < participants.size(); ++g) {
        const auto& group = participants[g];
        const std::string at = "participants[" + std::to_string(g) + "]";
        if (group.members.empty()) invalid(at + " has no members");
        json::array members;
        for (const auto& member : group.members) {
            if (member.sub.empty()) invalid(at + " has a member with an empty sub");
            json::object m;
            m["sub"] = member.sub;
            if (!member.calendar_ids.empty()) {
                json::array ids;
                for (const auto& id : member.calendar_ids) {
                    if (id.empty()) invalid(at + " has an empty calendar id");
                    ids.emplace_back(id);
                }
                m["calendar_ids"] = std::move(ids);
            }
            members.emplace_back(std::move(m));
        }
        json::object o;
        o["members"] = std::move(members);
        if (group.required) {
            if (*group.required < 1 || static_cast<std::size_t>(*group.required) > group.members.size()) {
                invalid(at + ".required must be between 1 and the number of members");
            }
            o["required"] = *group.required;
        } else {
            o["required"] = "all";
        }
        groups.emplace_back(std::move(o));
    }
    if (required_duration.count() <= 0) invalid("required_duration must be positive");
    if (available_periods.empty()) invalid("available_periods is empty");
    json::array periods;
    for (std::size_t i = 0; i < available_periods.size(); ++i) {
        const auto& p = available_periods[i];
        if (!(p.start < p.end)) invalid("available_periods[" + std::to_string(i) + "] does not start before it ends");
        json::object o;
        o["start"] = time_text(p.start);
        o["end"] = time_text(p.end);
        periods.emplace_back(std::move(o));
    }
    if (buffer_before && buffer_before->count() < 0) invalid("buffer_before is negative");
    if (buffer_after && buffer_after->count() < 0) invalid("buffer_after is negative");
    if (start_interval && start_interval->count() <= 0) invalid("start_interval must be positive");
    if (max_results && *max_results <= 0) invalid("max_results must be positive");

    json::object body;
    body["participants"] = std::move(groups);
    body["required_duration"] = minutes(required_duration);
    body["available_periods"] = std::move(periods);
    if (buffer_before || buffer_after) {
        json::object buffer;
        if (buffer_before) buffer["before"] = minutes(*buffer_before);
        if (buffer_after) buffer["after"] = minutes(*buffer_after);
        body["buffer"] = std::move(buffer);
    }
    if (start_interval) body["start_interval"] = minutes(*start_interval);
    if (max_results) body["max_results"] = *max_results;
    body["response_format"] = availability_format_name(response_format);
    return json::serialize(body);
}

AvailabilityResult AvailabilityResult::from_json(std::string_view body) {
    const json::object reply = detail::parse_reply_object(body, "availability");
    AvailabilityResult out;
    const bool has_periods = reply.contains("available_periods");
    const bool has_slots = reply.contains("available_slots");
    if (!has_periods && !has_slots) {
        throw ProtocolError("availability: the reply has neither \"available_periods\" nor \"available_slots\"");
    }
    if (has_periods) {
        for (const auto& item : detail::array_of_objects(reply, "available_periods", "availability")) {
            out.available_periods.push_back(read_available_time(item.get_object()));
        }
    }
    if (has_slots) {
        for (const auto& item : detail::array_of_objects(reply, "available_slots", "availability")) {
            out.available_slots.push_back(read_available_time(item.get_object()));
        }
    }
    out.raw_json = std::string(body);
    return out;
}

AvailabilityResult Session::availability(const AvailabilityQuery& query, const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const std::string body = query.to_json();
    const auto reply = caller()->send(detail::api_request(config, "POST", config.api_url() + "/v1/availability", body),
                                    detail::Replay::idempotent, options);
    return AvailabilityResult::from_json(reply.body);
}

AvailabilityResult Client::availability(const AvailabilityQuery& query, const CallOptions& options) const {
    const auto reply = detail::send_availability_as_application(caller(), options, query.to_json());
    return AvailabilityResult::from_json(reply.body);
}

}  // namespace calbridge
