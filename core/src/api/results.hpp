// From the calendar API's JSON replies to the typed results of calbridge/api.hpp. Missing or
// oddly typed fields read as empty; a reply of the wrong shape is a ProtocolError that says
// which reply and which member. Internal to the core.
#pragma once

#include <calbridge/api.hpp>

#include <boost/json/object.hpp>

#include <string_view>
#include <vector>

namespace calbridge::detail {

// The reply body as a JSON object; ProtocolError ("<what>: ...") otherwise.
boost::json::object parse_reply_object(std::string_view body, std::string_view what);

// The array member `key` of `reply`; ProtocolError when it is missing or not an array of objects.
const boost::json::array& array_of_objects(const boost::json::object& reply, std::string_view key,
                                           std::string_view what);

Calendar read_calendar(const boost::json::object& item);
Event read_event(const boost::json::object& item);
FreeBusyPeriod read_free_busy_period(const boost::json::object& item);
Profile read_profile(const boost::json::object& item);
// The same without raw_json, for a caller that takes it from the reply's text.
Calendar read_calendar_fields(const boost::json::object& item);
Profile read_profile_fields(const boost::json::object& item);

std::vector<Calendar> read_calendars(std::string_view body);   // {"calendars": [...]}
Account read_account(std::string_view body);                   // {"account": {...}}
UserInfo read_userinfo(std::string_view body);                 // {sub, email, ..., "cronofy.data"}
std::vector<Profile> read_profiles(std::string_view body);     // {"profiles": [...]}

}  // namespace calbridge::detail
