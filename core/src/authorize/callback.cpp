// Reading the redirect back (RFC 6749 §4.1.2): a code and the state, or an error.
//
// Values are decoded as application/x-www-form-urlencoded, so '+' reads as a space: that is
// how browsers and server frameworks write query strings, and the states we issue never
// contain a raw '+' (random and signed states are base64url; an explicit state goes out with
// '+' as %2B and comes back that way).
#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include "util/url.hpp"
#include "util/utf8.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/param.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url_view.hpp>

#include <optional>

namespace calbridge {

namespace urls = boost::urls;

namespace {

const urls::encoding_opts form_decoding{/*space_as_plus=*/true};

// The parameters of the redirect back that we read; others (a framework's own, tracking
// parameters) are ignored. Each is a view into the query string read_params() was given.
struct CallbackParams {
    std::optional<urls::param_pct_view> code;
    std::optional<urls::param_pct_view> state;
    std::optional<urls::param_pct_view> error;
    std::optional<urls::param_pct_view> error_description;
};

// The still-encoded query of `callback`, a view into it. A full URL gives its query; anything
// else is taken as the query itself (parse_query checks it next).
std::string_view encoded_query(std::string_view callback) {
    if (!callback.empty() && callback.front() == '?') return callback.substr(1);
    // Only an absolute URL (with a scheme) counts as a URL: "code=x&state=y" is also a valid
    // relative reference, so parse_uri_reference would take a query for a path.
    // What Boost 1.81's parse_uri asserts on never reaches it (util/url.hpp): bytes no URL may
    // hold (then this is no URL), or an empty path before '?' or '#' ("app:?code=..."), whose
    // query is what lies between the '?' and a '#'.
    if (!detail::uri_characters_only(callback)) return callback;
    if (!detail::parse_uri_is_safe(callback)) {
        const std::string_view rest = callback.substr(*detail::scheme_end(callback) + 1);
        if (rest.front() == '#') return {};
        if (rest.front() != '?') return callback;  // no URL: parse_query judges it
        return rest.substr(1, rest.find('#') == std::string_view::npos ? std::string_view::npos : rest.find('#') - 1);
    }
    if (auto url = urls::parse_uri(callback)) return url->encoded_query();
    return callback;
}

// A parameter given twice is ambiguous (which one would the server have meant?) and a sign of
// parameter injection, so it is refused rather than resolved either way.
void remember(std::optional<urls::param_pct_view>& slot, const urls::param_pct_view& param, std::string_view name) {
    if (slot) throw InvalidCallbackError("callback has more than one \"" + std::string(name) + "\" parameter");
    slot = param;
}

CallbackParams read_params(const std::string& query) {
    const auto params = urls::parse_query(query);
    if (!params) throw InvalidCallbackError("callback is neither a URL nor a query string");
    CallbackParams out;
    for (const urls::param_pct_view param : *params) {
        const std::string key = param.key.decode(form_decoding);
        if (key == "code") remember(out.code, param, key);
        else if (key == "state") remember(out.state, param, key);
        else if (key == "error") remember(out.error, param, key);
        else if (key == "error_description") remember(out.error_description, param, key);
    }
    return out;
}

std::string decoded_value(const std::optional<urls::param_pct_view>& param) {
    return param ? param->value.decode(form_decoding) : std::string();
}

// A server-supplied text made safe for an exception message (which ends up in logs): control
// characters become '?', and it is cut after 200 bytes, at a UTF-8 character boundary.
std::string printable(std::string_view text) {
    constexpr std::size_t limit = 200;
    std::size_t cut = text.size();
    if (cut > limit) {
        cut = limit;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    }
    std::string out;
    out.reserve(cut + 3);
    for (char c : text.substr(0, cut)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7F) ? '?' : c;
    }
    if (cut < text.size()) out += "...";
    return out;
}

// The error and its description are whatever the browser brought back, so any bytes: they
// are made valid UTF-8 (invalid bytes become U+FFFD) before they reach an error.
[[noreturn]] void throw_denied(std::string raw_error, std::string raw_description) {
    std::string error = detail::valid_utf8(raw_error);
    std::string description = detail::valid_utf8(raw_description);
    std::string message = "authorization denied (" + (error.empty() ? std::string("no error code") : printable(error)) + ")";
    if (!description.empty()) message += ": " + printable(description);
    ErrorDetails details;
    details.oauth_error = std::move(error);
    details.oauth_error_description = std::move(description);
    throw AuthorizationDeniedError(message, std::move(details));
}

}  // namespace

AuthorizationCallback parse_callback(std::string_view callback, std::string_view expected_state) {
    // An empty expected state would accept a callback carrying "state=": always a caller bug.
    if (expected_state.empty()) throw InvalidArgumentError("expected_state is empty");

    // parse_query gets its own NUL-terminated copy: Boost 1.81's parse_query measures its input
    // with strlen, so on a view into a longer buffer it reads past the end. The copy holds the
    // code, hence a Secret.
    const Secret query{std::string(encoded_query(callback))};
    const CallbackParams params = read_params(query.reveal());

    // The state before anything else, error replies included: without it an attacker could
    // feed the application a code, or an error, of their own choosing (RFC 6749 §10.12).
    if (!params.state) throw StateMismatchError("callback has no state parameter");
    std::string state = decoded_value(params.state);
    if (!constant_time_equal(state, expected_state)) {
        throw StateMismatchError("callback state does not match the state of the authorization request");
    }

    if (params.error) throw_denied(decoded_value(params.error), decoded_value(params.error_description));

    if (!params.code) throw InvalidCallbackError("callback has neither a code nor an error parameter");
    Secret code(params.code->value.decode(form_decoding));
    if (code.empty()) throw InvalidCallbackError("callback code is empty");
    return AuthorizationCallback{std::move(code), std::move(state)};
}

}  // namespace calbridge
