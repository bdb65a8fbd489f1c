// Credentials as Boost.JSON values, for code inside the core that embeds them in a larger
// document (the file store's {"version", "credentials"} envelope) without a serialise/parse
// round trip. Credentials::to_json/from_json are these plus the text step.
#pragma once

#include <calbridge/credentials.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

// Stored documents hold a reply's unknown fields one level deeper ("extra") and the file store
// wraps them once more, so they are parsed with room to spare over the default depth of 32
// that limits replies: a deeply nested reply must never become credentials we cannot read back.
inline boost::json::parse_options stored_json_parse_options() noexcept {
    boost::json::parse_options options;
    options.max_depth = 64;
    return options;
}

// The current stored format (Credentials::json_format_version). Throws InvalidArgumentError
// when `extra_json` is set but is not the text of a JSON object.
boost::json::object credentials_to_json_object(const Credentials& credentials);

// Reads any stored format; ProtocolError naming the offending field (never its value).
Credentials credentials_from_json_value(const boost::json::value& stored);

}  // namespace calbridge::detail
