// Parsing URIs that arrive in requests (redirect URIs, callback URLs, the admin consent URL).
//
// Boost.URL 1.81 fails an assertion inside parse_absolute_uri and parse_uri_reference when a
// scheme's ':' is followed by a character that can start neither a path nor an authority: a
// byte no URI may hold ("ittp:\xF2"), '[' or '>' ("x:["), or '?' / '#' right after it ("t:?").
// A Debug build aborts there; a release build goes on with a half-built view. Every URI from
// outside goes through these instead, which refuse such text first.
#pragma once

#include <boost/system/result.hpp>
#include <boost/url/url_view.hpp>

#include <string_view>

namespace calbridge::sandbox {

// Whether Boost.URL can be handed `text` safely: only bytes a URI may hold (printable ASCII,
// no space), and after a leading "scheme:" something a path or an authority can start with.
bool uri_is_safe_to_parse(std::string_view text) noexcept;

// boost::urls::parse_absolute_uri / parse_uri_reference, except that what uri_is_safe_to_parse
// refuses is answered with boost::urls::grammar::error::invalid without reaching them.
boost::system::result<boost::urls::url_view> parse_absolute_uri_from_outside(std::string_view text);
boost::system::result<boost::urls::url_view> parse_uri_reference_from_outside(std::string_view text);

}  // namespace calbridge::sandbox
