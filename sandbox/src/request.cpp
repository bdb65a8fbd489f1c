#include "request.hpp"

#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace urls = boost::urls;

namespace calbridge::sandbox {

bool iequals(std::string_view a, std::string_view b) noexcept {
    return urls::grammar::ci_is_equal(a, b);
}

const std::string* find_param(const Params& params, std::string_view name) noexcept {
    for (const auto& [k, v] : params) {
        if (k == name) return &v;
    }
    return nullptr;
}

std::optional<bool> parse_query_bool(std::string_view value) noexcept {
    const auto is = [value](std::string_view word) {
        return value.size() == word.size() && std::equal(value.begin(), value.end(), word.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == b;
               });
    };
    if (is("true")) return true;
    if (is("false")) return false;
    return std::nullopt;
}

std::vector<std::string> find_all_params(const Params& params, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [k, v] : params) {
        if (k == name) out.push_back(v);
    }
    return out;
}

const std::string* Request::header(std::string_view name) const noexcept {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) return &h.value;
    }
    return nullptr;
}

namespace {

// Percent-encodes the bytes that RFC 3986 forbids in a path or query but that clients send
// anyway (curl leaves "calendar_ids[]" as is; some send raw UTF-8), so that such a request is
// read as meant instead of being refused.
std::string escape_lenient(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool bad = c >= 0x80 || c <= 0x20 || c == 0x7f || ch == '[' || ch == ']' || ch == '{' ||
                         ch == '}' || ch == '|' || ch == '^' || ch == '`' || ch == '"' || ch == '\\' ||
                         ch == '<' || ch == '>';
        if (bad) {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

// Reads an encoded query or form body with '+' as a space, the way HTML forms and most
// servers read it.
std::optional<Params> decode_params(std::string_view encoded) {
    Params out;
    if (encoded.empty()) return out;
    const std::string escaped = escape_lenient(encoded);
    if (!urls::parse_query(escaped)) return std::nullopt;
    urls::encoding_opts opts;
    opts.space_as_plus = true;
    for (const auto& p : urls::params_view(escaped, opts)) {
        if (p.key.empty() && !p.has_value) continue;  // "a=1&&b=2"
        out.emplace_back(p.key, p.has_value ? p.value : std::string());
    }
    return out;
}

}  // namespace

bool parse_target(Request& request) {
    const std::string escaped = escape_lenient(request.target);
    auto parsed = urls::parse_origin_form(escaped);
    if (!parsed) return false;
    request.path = parsed->path();
    if (request.path.empty()) request.path.push_back('/');  // (not = "/": GCC 12 -Wrestrict false positive)
    auto query = decode_params(parsed->encoded_query());
    if (!query) return false;
    request.query = std::move(*query);
    return true;
}

std::optional<Params> parse_form(std::string_view body) {
    // Tolerate the trailing newline some command-line clients add.
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    return decode_params(body);
}

void Response::set_header(std::string name, std::string value) {
    remove_header(name);
    headers.push_back({std::move(name), std::move(value)});
}

void Response::remove_header(std::string_view name) {
    headers.erase(std::remove_if(headers.begin(), headers.end(),
                                 [&](const Header& h) { return iequals(h.name, name); }),
                  headers.end());
}

const std::string* Response::header(std::string_view name) const noexcept {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) return &h.value;
    }
    return nullptr;
}

}  // namespace calbridge::sandbox
