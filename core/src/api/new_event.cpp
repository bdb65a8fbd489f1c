#include <calbridge/api.hpp>
#include <calbridge/errors.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <variant>

namespace calbridge {

namespace json = boost::json;

namespace {

// A start or end: a plain string, or {"time", "tzid"} when a time zone is given.
void put_time(json::object& body, std::string_view key, const EventTime& time) {
    if (time.tzid.empty()) {
        body[key] = time.time;
    } else {
        body[key] = json::object{{"time", time.time}, {"tzid", time.tzid}};
    }
}

// The text is what goes out, so it is what must read as a date or a time.
void check_time(std::string_view name, const EventTime& time) {
    if (time.time.empty()) throw InvalidArgumentError(std::string(name) + " is empty");
    // With a time zone, a local time without offset ("2026-11-28T09:00:00") is a time there.
    const bool local = !time.tzid.empty() && EventTime::read(time.time + "Z").is_instant();
    if (!local && std::holds_alternative<std::monostate>(EventTime::read(time.time).value)) {
        throw InvalidArgumentError(std::string(name) + " is not a date (YYYY-MM-DD) or an RFC 3339 time");
    }
}

}  // namespace

std::string NewEvent::to_json() const {
    if (event_id.empty()) throw InvalidArgumentError("event_id is empty");
    if (summary.empty()) throw InvalidArgumentError("summary is empty");
    check_time("start", start);
    check_time("end", end);
    json::object body;
    body["event_id"] = event_id;
    body["summary"] = summary;
    body["description"] = description;
    put_time(body, "start", start);
    put_time(body, "end", end);
    if (tzid) body["tzid"] = *tzid;
    if (location) body["location"] = json::object{{"description", *location}};
    return json::serialize(body);
}

}  // namespace calbridge
