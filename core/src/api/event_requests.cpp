#include "api/event_requests.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>

#include <chrono>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

namespace json = boost::json;

namespace {

void add_date(QueryParams& out, std::string_view key, const std::optional<std::chrono::year_month_day>& value) {
    if (!value) return;
    if (!value->ok()) throw InvalidArgumentError(std::string(key) + " is not a valid date");
    out.emplace_back(key, format_date(*value));
}

void add_instant(QueryParams& out, std::string_view key, const std::optional<WallTime>& value) {
    // Floored to the second: "modified since" an earlier instant misses nothing.
    if (value) out.emplace_back(key, format_rfc3339(*value));
}

void add_flag(QueryParams& out, std::string_view key, const std::optional<bool>& value) {
    if (value) out.emplace_back(key, *value ? "true" : "false");
}

}  // namespace

QueryParams events_query(const EventsQuery& query) {
    if (query.tzid.empty()) throw InvalidArgumentError("tzid is empty: the API needs a time zone");
    QueryParams out;
    out.emplace_back("tzid", query.tzid);
    add_date(out, "from", query.from);
    add_date(out, "to", query.to);
    for (const auto& id : query.calendar_ids) {
        if (id.empty()) throw InvalidArgumentError("calendar_ids contains an empty id");
        out.emplace_back("calendar_ids[]", id);
    }
    add_instant(out, "last_modified", query.last_modified);
    add_flag(out, "include_managed", query.include_managed);
    add_flag(out, "only_managed", query.only_managed);
    add_flag(out, "include_deleted", query.include_deleted);
    add_flag(out, "include_moved", query.include_moved);
    add_flag(out, "localized_times", query.localized_times);
    return out;
}

void check_upsert_body(std::string_view event_json) {
    boost::system::error_code ec;
    const json::value root = json::parse(event_json, ec);
    if (ec || !root.is_object()) throw InvalidArgumentError("event JSON is not a JSON object");
    for (std::string_view key : {"event_id", "event_uid"}) {
        const auto* id = root.get_object().if_contains(key);
        if (id != nullptr && id->is_string() && !id->get_string().empty()) return;
    }
    throw InvalidArgumentError("event JSON has no \"event_id\" (or \"event_uid\"): without one an upsert is not "
                               "idempotent");
}

std::string delete_event_body(std::string_view key, std::string_view value) {
    if (value.empty()) throw InvalidArgumentError(std::string(key) + " is empty");
    return json::serialize(json::object{{key, value}});
}

}  // namespace calbridge::detail
