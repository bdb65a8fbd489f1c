#include "log/redactor.hpp"

#include "util/crypto.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

namespace calbridge::detail {

namespace urls = boost::urls;

namespace {

std::string json_escaped(std::string_view value) {
    std::string quoted = boost::json::serialize(boost::json::string(value));
    return quoted.substr(1, quoted.size() - 2);
}

// Some JSON writers also escape '/' (PHP's, for one).
std::string with_escaped_slashes(std::string_view escaped) {
    std::string out;
    for (char c : escaped) {
        if (c == '/') out += '\\';
        out += c;
    }
    return out;
}

std::string without_padding(std::string text) {
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

}  // namespace

void Redactor::add(const Secret& secret) {
    if (secret.empty()) return;
    const std::string& raw = secret.reveal();
    const std::string escaped = json_escaped(raw);
    std::vector<std::string> candidates = {
        raw,
        urls::encode(raw, urls::unreserved_chars),
        urls::encode(raw, urls::unreserved_chars, urls::encoding_opts(false, /*lower_case=*/true)),
        urls::encode(raw, urls::unreserved_chars, urls::encoding_opts(/*space_as_plus=*/true)),
        escaped,
        with_escaped_slashes(escaped),
        // Unpadded, so that the padded form and a form cut short by a line both match.
        without_padding(base64_encode(raw)),
        base64url_encode(raw),
    };
    const std::string replacement = secret.redacted();
    for (auto& candidate : candidates) {
        const bool known = std::any_of(forms_.begin(), forms_.end(),
                                       [&](const Form& f) { return f.pattern.reveal() == candidate; });
        if (!known && !candidate.empty()) forms_.push_back({Secret(std::move(candidate)), replacement});
    }
    std::stable_sort(forms_.begin(), forms_.end(),
                     [](const Form& a, const Form& b) { return a.pattern.size() > b.pattern.size(); });
}

std::string Redactor::scrub(std::string_view text) const {
    std::string out(text);
    for (const Form& form : forms_) {
        const std::string& pattern = form.pattern.reveal();
        for (auto pos = out.find(pattern); pos != std::string::npos;
             pos = out.find(pattern, pos + form.replacement.size())) {
            out.replace(pos, pattern.size(), form.replacement);
        }
    }
    return out;
}

}  // namespace calbridge::detail
