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

std::optional<boost::urls::url_view> parse_uri_strict(std::string_view text) {
    if (!uri_characters_only(text)) return std::nullopt;
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return std::nullopt;
    const boost::urls::url_view u = *parsed;
    const auto path = u.encoded_path();
    if (u.has_authority() && !path.empty() && path.front() != '/') return std::nullopt;
    return u;
}

}  // namespace calbridge::detail
