// build_authorization_request: options and redirect URIs from outside (a web form, a config
// file) into the authorization URL.
//
// Invariants: only calbridge errors; a built URL parses, sits on {app_url}/oauth/authorize,
// carries each parameter once with exactly the value given (decoded), the state it returns,
// a PKCE challenge iff asked (the verifier itself never in the URL); the state reads back
// through parse_callback.
#include "fuzz_support.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/config.hpp>

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace {

using namespace calbridge;
namespace urls = boost::urls;

std::optional<std::string> maybe_string(FuzzedDataProvider& in) {
    if (!in.ConsumeBool()) return std::nullopt;
    return in.ConsumeRandomLengthString(64);
}

const Config& config_for(bool registered, bool secure_only, const std::string& registered_uri) {
    static std::map<std::tuple<bool, bool, std::string>, Config> configs;
    const auto key = std::make_tuple(registered, secure_only, registered ? registered_uri : std::string());
    if (auto it = configs.find(key); it != configs.end()) return it->second;
    ClientOptions o;
    o.client_id = "client-id+1";
    o.client_secret = Secret("client-secret-0123456789");
    o.api_url = "https://api.test";
    o.app_url = "https://app.test/prefix";
    if (registered) o.redirect_uris = {registered_uri};
    o.require_secure_redirect_uri = secure_only;
    if (configs.size() > 256) configs.clear();
    return configs.emplace(key, Config(std::move(o))).first->second;
}

void check_url(const AuthorizationRequest& r, const AuthorizationOptions& o, std::string_view redirect_uri) {
    const auto url = urls::parse_uri(r.url);
    fuzz::check(url.has_value(), "the authorization URL parses", r.url);
    fuzz::check(url->scheme() == "https" && url->encoded_host() == "app.test" &&
                    url->encoded_path() == "/prefix/oauth/authorize",
                "the URL is the app host's /oauth/authorize", r.url);
    std::map<std::string, std::string> seen;
    for (const auto& p : url->params()) {
        fuzz::check(seen.emplace(p.key, p.value).second, "each parameter once", r.url);
    }
    auto expect = [&](const std::string& key, const std::optional<std::string>& value) {
        const auto it = seen.find(key);
        if (!value) {
            fuzz::check(it == seen.end(), "an unset option is not sent", key);
            return;
        }
        fuzz::check(it != seen.end() && it->second == *value, "a parameter carries its value", key);
    };
    expect("response_type", "code");
    expect("client_id", "client-id+1");
    expect("redirect_uri", std::string(redirect_uri));
    expect("scope", join_scope(o.scope));
    expect("state", r.state);
    if (o.state) fuzz::check(r.state == *o.state, "the state given is the state used");
    expect("avoid_linking", o.avoid_linking ? std::optional<std::string>(*o.avoid_linking ? "true" : "false")
                                            : std::nullopt);
    expect("link_token", o.link_token);
    expect("provider_name", o.provider_name);
    expect("delegated_scope", o.delegated_scope);
    fuzz::check(r.code_verifier.has_value() == o.pkce, "a verifier iff PKCE");
    if (o.pkce) {
        expect("code_challenge", code_challenge_s256(*r.code_verifier));
        expect("code_challenge_method", "S256");
        fuzz::check(!fuzz::contains(r.url, r.code_verifier->reveal()), "the verifier is not in the URL");
    } else {
        expect("code_challenge", std::nullopt);
    }
    fuzz::check(r.redirect_uri == redirect_uri, "the redirect URI is kept for the exchange");

    // The state comes back through the redirect, encoded as a browser would.
    const std::string back = "?code=c&state=" + urls::encode(r.state, urls::unreserved_chars);
    fuzz::check(parse_callback(back, r.state).state == r.state, "the state reads back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const bool registered = in.ConsumeBool();
    const bool secure_only = in.ConsumeBool();
    const std::string registered_uri = in.ConsumeRandomLengthString(64);
    const std::string redirect_uri = in.ConsumeRandomLengthString(96);
    AuthorizationOptions o;
    const int scopes = in.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < scopes; ++i) o.scope.push_back(in.ConsumeRandomLengthString(24));
    o.state = maybe_string(in);
    o.pkce = in.ConsumeBool();
    if (in.ConsumeBool()) o.avoid_linking = in.ConsumeBool();
    o.link_token = maybe_string(in);
    o.provider_name = maybe_string(in);
    o.delegated_scope = maybe_string(in);

    fuzz::expect_only_calbridge_errors([&] {
        const Config& config = config_for(registered, secure_only, registered_uri);
        const AuthorizationRequest r = build_authorization_request(config, redirect_uri, o);
        check_url(r, o, redirect_uri);
    });
    return 0;
}
