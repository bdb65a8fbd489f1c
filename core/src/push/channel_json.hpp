// A channel object's JSON ({"channel_id", "callback_url", "filters": {...}}) to calbridge::Channel,
// shared by the channel calls and the push parser. Internal to the core.
#pragma once

#include <calbridge/push.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace calbridge::detail {

// Missing or oddly typed fields read as empty; `raw_json` is taken as given.
Channel read_channel(const boost::json::object& item, std::string raw_json);

// The body of POST /v1/channels.
std::string create_channel_body(std::string_view callback_url, const std::optional<ChannelFilters>& filters);

}  // namespace calbridge::detail
