#include "util/url.hpp"

#include <boost/url/parse.hpp>

namespace calbridge::detail {

std::optional<boost::urls::url_view> parse_uri_strict(std::string_view text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return std::nullopt;
    const boost::urls::url_view u = *parsed;
    const auto path = u.encoded_path();
    if (u.has_authority() && !path.empty() && path.front() != '/') return std::nullopt;
    return u;
}

}  // namespace calbridge::detail
