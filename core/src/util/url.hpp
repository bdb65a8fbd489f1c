// URL parsing with Boost.URL, plus the checks Boost.URL 1.81 misses. Internal to the core.
#pragma once

#include <boost/url/url_view.hpp>

#include <optional>
#include <string_view>

namespace calbridge::detail {

// Parses an absolute URI (scheme required; a fragment allowed). Unlike boost::urls::parse_uri
// in Boost 1.81, it rejects an authority followed by a path that does not start with '/':
// 1.81 reads "http://127.0.0.1.evil.com/cb" as host "127.0.0.1" and path ".evil.com/cb"
// (boostorg/url#770, fixed in later releases), which would defeat every host check built on
// it. The view refers to `text`, which must outlive it.
// Also rejects what parse_uri_is_safe refuses.
std::optional<boost::urls::url_view> parse_uri_strict(std::string_view text);

// True when every byte may appear in a URI (RFC 3986: printable ASCII, no space).
bool uri_characters_only(std::string_view text) noexcept;

// Where the scheme of `text` ends (the index of its ':'), when it starts with one (RFC 3986
// §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
std::optional<std::size_t> scheme_end(std::string_view text) noexcept;

// Boost.URL 1.81's parse_uri fails an assertion (debug builds abort) on "scheme:" followed by
// anything that cannot start a path: '?' or '#' after an empty path ("app:?x", "s:#"), '[',
// '>' ("x:["), a byte no URI may hold. Text from outside is checked with this before it reaches parse_uri; what it
// refuses is not a URL calbridge can take (it needs a URL with an authority, "scheme://").
bool parse_uri_is_safe(std::string_view text) noexcept;

}  // namespace calbridge::detail
