// The JSON form of applications and users, shared by the config file and the admin API
// (README "Config file"). Missing ids and secrets are generated; bad input throws InputError.
#pragma once

#include "model.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string_view>

namespace calbridge::sandbox {

Application read_application(const boost::json::object& o);
boost::json::object write_application(const Application& app);

User read_user(const boost::json::object& o, std::int64_t now);
boost::json::object write_user(const User& user);  // events as a count

// origin: the sandbox's; a disconnected profile gets {origin}/relink/{account}/{profile}.
boost::json::object write_profile(const Profile& p, std::string_view account_id, std::string_view origin);
boost::json::object write_calendar(const Calendar& c, const Profile& p);

// A redirect URI matches a registered one exactly, or by a leading "*." host label.
bool redirect_uri_registered(const Application& app, std::string_view redirect_uri);
// Checks an entry of redirect_uris; throws InputError.
void check_redirect_uri_entry(std::string_view entry, std::string_view field);

}  // namespace calbridge::sandbox
