#include <calbridge/api.hpp>
#include <calbridge/errors.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

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

}  // namespace

std::string NewEvent::to_json() const {
    if (event_id.empty()) throw InvalidArgumentError("event_id is empty");
    if (summary.empty()) throw InvalidArgumentError("summary is empty");
    if (start.time.empty()) throw InvalidArgumentError("start is empty");
    if (end.time.empty()) throw InvalidArgumentError("end is empty");
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
