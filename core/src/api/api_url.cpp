#include "api/api_url.hpp"

#include <calbridge/errors.hpp>

#include "util/ascii.hpp"
#include "util/url.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/param.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace calbridge::detail {

namespace urls = boost::urls;

namespace {

struct Origin {
    std::string scheme;
    std::string host;
    std::string port;

    friend bool operator==(const Origin&, const Origin&) = default;
};

std::optional<Origin> origin_of(std::string_view url) {
    // Strict: Boost.URL 1.81 alone reads "https://127.0.0.1.evil.com/" as host 127.0.0.1.
    const auto parsed = parse_uri_strict(url);
    if (!parsed || parsed->has_userinfo() || parsed->encoded_host().empty()) return std::nullopt;
    Origin origin{ascii_lower(parsed->scheme()), ascii_lower(parsed->encoded_host()), std::string(parsed->port())};
    if (origin.port.empty()) {
        if (origin.scheme == "https") origin.port = "443";
        else if (origin.scheme == "http") origin.port = "80";
    }
    return origin;
}

}  // namespace

std::string path_segment(std::string_view name, std::string_view value) {
    if (value.empty()) throw InvalidArgumentError(std::string(name) + " is empty");
    if (value == "." || value == "..") {
        throw InvalidArgumentError(std::string(name) + " must not be \".\" or \"..\" (a path would normalize it away)");
    }
    return urls::encode(value, urls::unreserved_chars);
}

std::string with_query(std::string_view url, const QueryParams& query) {
    const auto parsed = parse_uri_strict(url);
    if (!parsed) throw InvalidArgumentError("not an absolute URL");
    urls::url out(*parsed);
    for (const auto& [key, value] : query) {
        const std::string encoded_key = urls::encode(key, urls::unreserved_chars);
        const std::string encoded_value = urls::encode(value, urls::unreserved_chars);
        out.encoded_params().append(urls::param_pct_view(encoded_key, encoded_value));
    }
    return std::string(out.buffer());
}

bool same_origin(std::string_view url, std::string_view api_url) {
    const auto a = origin_of(url);
    const auto b = origin_of(api_url);
    return a && b && *a == *b;
}

std::string resolve_api_url(const Config& config, std::string_view path_or_url, const QueryParams& query) {
    const bool is_path = !path_or_url.empty() && path_or_url.front() == '/';
    const std::string url = is_path ? config.api_url() + std::string(path_or_url) : std::string(path_or_url);
    // Checked on the result, a path included: it must not be able to move the request elsewhere.
    if (!same_origin(url, config.api_url())) {
        // No echo of the value: it is the caller's own, and may be anything.
        throw InvalidArgumentError(
            "request path must start with '/' or be an absolute URL on the API host's origin: the bearer token is "
            "never sent anywhere else");
    }
    return with_query(url, query);
}

HttpRequest api_request(const Config& config, std::string_view method, std::string url,
                        std::optional<std::string_view> json_body) {
    HttpRequest request;
    request.method = std::string(method);
    request.url = std::move(url);
    request.headers.push_back({"Accept", "application/json"});
    request.headers.push_back({"User-Agent", config.user_agent()});
    if (json_body) {
        request.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
        request.body = std::string(*json_body);
    }
    return request;
}

}  // namespace calbridge::detail
