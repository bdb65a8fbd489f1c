#include "util/url.hpp"

#include <boost/url/parse.hpp>

namespace calbridge::detail {

bool uri_characters_only(std::string_view text) noexcept {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F) return false;
    }
    return true;
}

std::optional<std::size_t> scheme_end(std::string_view text) noexcept {
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (text.empty() || !alpha(text[0])) return std::nullopt;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ':') return i;
        if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return std::nullopt;
    }
    return std::nullopt;
}

bool parse_uri_is_safe(std::string_view text) noexcept {
    if (!uri_characters_only(text)) return false;
    const auto colon = scheme_end(text);
    if (!colon || *colon + 1 >= text.size()) return true;
    // The path after "scheme:" must start with '/' or a pchar (RFC 3986 §3.3).
    const char next = text[*colon + 1];
    const bool alnum = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9');
    return alnum || std::string_view("/-._~%!$&'()*+,;=:@").find(next) != std::string_view::npos;
}

std::optional<boost::urls::url_view> parse_uri_strict(std::string_view text) {
    if (!parse_uri_is_safe(text)) return std::nullopt;
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return std::nullopt;
    const boost::urls::url_view u = *parsed;
    const auto path = u.encoded_path();
    if (u.has_authority() && !path.empty() && path.front() != '/') return std::nullopt;
    return u;
}

}  // namespace calbridge::detail
