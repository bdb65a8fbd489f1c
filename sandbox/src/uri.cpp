#include "uri.hpp"

#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>

#include <cstddef>

namespace calbridge::sandbox {

namespace {

bool is_alpha(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 3986 §3.3: a path segment is made of pchar = unreserved / pct-encoded / sub-delims / ":" /
// "@"; a path, or "//" and an authority, starts with one of these or '/'.
bool may_follow_scheme(char c) noexcept {
    constexpr std::string_view others = "/-._~%!$&'()*+,;=:@";
    return is_alpha(c) || is_digit(c) || others.find(c) != std::string_view::npos;
}

// The index of the ':' that ends a leading scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )),
// or npos when `text` does not start with one.
std::size_t scheme_colon(std::string_view text) noexcept {
    if (text.empty() || !is_alpha(text.front())) return std::string_view::npos;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ':') return i;
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') break;
    }
    return std::string_view::npos;
}

}  // namespace

bool uri_is_safe_to_parse(std::string_view text) noexcept {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7F) return false;
    }
    const std::size_t colon = scheme_colon(text);
    return colon == std::string_view::npos || colon + 1 == text.size() || may_follow_scheme(text[colon + 1]);
}

boost::system::result<boost::urls::url_view> parse_absolute_uri_from_outside(std::string_view text) {
    if (!uri_is_safe_to_parse(text)) return boost::urls::grammar::error::invalid;
    return boost::urls::parse_absolute_uri(text);
}

boost::system::result<boost::urls::url_view> parse_uri_reference_from_outside(std::string_view text) {
    if (!uri_is_safe_to_parse(text)) return boost::urls::grammar::error::invalid;
    return boost::urls::parse_uri_reference(text);
}

}  // namespace calbridge::sandbox
