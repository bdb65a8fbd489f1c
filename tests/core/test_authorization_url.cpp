// The authorization URL (docs/PROTOCOL.md §1), its state and PKCE.
#include "support/catch.hpp"
#include "support/thrown_by.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace calbridge;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

Config make_config(DataCenter dc = DataCenter::us, std::string client_id = "cats",
                   std::vector<std::string> redirect_uris = {}) {
    ClientOptions o;
    o.client_id = std::move(client_id);
    o.client_secret = Secret("a-client-secret-of-some-length");
    o.data_center = dc;
    o.redirect_uris = std::move(redirect_uris);
    o.require_secure_redirect_uri = false;  // http://example.com is not loopback
    return Config(std::move(o));
}

AuthorizationOptions options_with(std::vector<std::string> scope,
                                  std::optional<std::string> state = "NY-state-0123456789abcdef") {
    AuthorizationOptions o;
    o.scope = std::move(scope);
    o.state = std::move(state);
    o.pkce = false;  // the exact URLs below; PKCE, the default, has tests of its own
    return o;
}

// What a server reads: the query parsed by Boost.URL and decoded as a form ('+' is a space).
Params decoded_params(const std::string& url) {
    const auto parsed = boost::urls::parse_uri(url);
    REQUIRE(parsed);
    Params out;
    for (const auto& p : parsed->params()) out.emplace_back(p.key, p.value);
    return out;
}

std::string param(const std::string& url, std::string_view key) {
    for (auto& [k, v] : decoded_params(url)) {
        if (k == key) return v;
    }
    FAIL("no parameter " << key);
    return {};
}

// The calbridge::Error that `fn` throws; fails the test if it throws none.
template <class Fn>
Error error_from(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no calbridge::Error was thrown");
    return Error(ErrorCode::internal, "unreachable");
}

bool is_base64url(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

}  // namespace

TEST_CASE("authorization URL for the minimal request is exactly the documented one", "[authorize]") {
    const auto request = build_authorization_request(make_config(), "http://example.com", options_with({"felines"}));
    CHECK(request.url ==
          "https://app.cronofy.com/oauth/authorize?response_type=code&client_id=cats"
          "&redirect_uri=http%3A%2F%2Fexample.com&scope=felines&state=NY-state-0123456789abcdef");
    CHECK(request.redirect_uri == "http://example.com");
    CHECK(request.state == "NY-state-0123456789abcdef");
    CHECK_FALSE(request.code_verifier.has_value());
}

TEST_CASE("authorization URL uses the data center's app host", "[authorize]") {
    const auto request =
        build_authorization_request(make_config(DataCenter::de), "http://example.com", options_with({"felines"}));
    CHECK(request.url ==
          "https://app-de.cronofy.com/oauth/authorize?response_type=code&client_id=cats"
          "&redirect_uri=http%3A%2F%2Fexample.com&scope=felines&state=NY-state-0123456789abcdef");
}

TEST_CASE("authorization URL keeps a custom app host's path prefix", "[authorize]") {
    ClientOptions o;
    o.client_id = "cats";
    o.client_secret = Secret("a-client-secret-of-some-length");
    o.app_url = "https://127.0.0.1:8443/sandbox/";
    const auto request =
        build_authorization_request(Config(std::move(o)), "https://example.com/cb", options_with({"felines"}));
    CHECK(request.url ==
          "https://127.0.0.1:8443/sandbox/oauth/authorize?response_type=code&client_id=cats"
          "&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=felines&state=NY-state-0123456789abcdef");
}

TEST_CASE("authorization URL with every option sends them all, in the documented order", "[authorize]") {
    auto options = options_with({"read_account", "list_calendars"});
    options.avoid_linking = true;
    options.link_token = "lt_123";
    options.provider_name = "google";
    options.delegated_scope = "free_busy";
    options.pkce = true;
    const auto request = build_authorization_request(make_config(), "http://example.com", options);

    REQUIRE(request.code_verifier.has_value());
    const std::string challenge = code_challenge_s256(*request.code_verifier);
    CHECK(request.url ==
          "https://app.cronofy.com/oauth/authorize?response_type=code&client_id=cats"
          "&redirect_uri=http%3A%2F%2Fexample.com&scope=read_account%20list_calendars&state=NY-state-0123456789abcdef"
          "&avoid_linking=true&link_token=lt_123&provider_name=google&delegated_scope=free_busy"
          "&code_challenge=" + challenge + "&code_challenge_method=S256");
}

TEST_CASE("avoid_linking=false is sent as lower-case false", "[authorize]") {
    auto options = options_with({"felines"});
    options.avoid_linking = false;
    const auto request = build_authorization_request(make_config(), "http://example.com", options);
    CHECK(request.url ==
          "https://app.cronofy.com/oauth/authorize?response_type=code&client_id=cats"
          "&redirect_uri=http%3A%2F%2Fexample.com&scope=felines&state=NY-state-0123456789abcdef"
          "&avoid_linking=false");
}

TEST_CASE("unset options are omitted entirely", "[authorize]") {
    const auto request = build_authorization_request(make_config(), "http://example.com", options_with({"felines"}));
    CHECK(decoded_params(request.url) == Params{{"response_type", "code"},
                                                {"client_id", "cats"},
                                                {"redirect_uri", "http://example.com"},
                                                {"scope", "felines"},
                                                {"state", "NY-state-0123456789abcdef"}});
}

TEST_CASE("multiple scopes are joined with %20, never '+'", "[authorize]") {
    const auto request = build_authorization_request(
        make_config(), "http://example.com", options_with({"read_account", "list_calendars", "read_events"}));
    CHECK(request.url.find("&scope=read_account%20list_calendars%20read_events&") != std::string::npos);
    CHECK(param(request.url, "scope") == "read_account list_calendars read_events");
}

TEST_CASE("every value with + & = % #, spaces and non-ASCII round-trips exactly", "[authorize]") {
    const std::string tricky = "\xC3\xBCn\xC3\xAF \xF0\x9F\x99\x82 +&=%#";  // "ünï 🙂 +&=%#"
    const std::string client_id = "c+a&t=s%#\xC3\xBCn\xC3\xAF\xF0\x9F\x99\x82";  // no spaces in a client id
    const std::string redirect_uri = "https://example.com/c%C3%BCb?next=a+b&q=%25%20";
    const std::string state = "a+b c&d=e%f#g-0123456789";  // a state is printable ASCII
    auto options = options_with({"\xC3\xBCn\xC3\xAF\xF0\x9F\x99\x82", "+&=%#"}, state);
    options.link_token = tricky;
    options.provider_name = tricky;
    options.delegated_scope = tricky;

    const auto request =
        build_authorization_request(make_config(DataCenter::us, client_id), redirect_uri, options);

    CHECK(decoded_params(request.url) ==
          Params{{"response_type", "code"},
                 {"client_id", client_id},
                 {"redirect_uri", redirect_uri},
                 {"scope", "\xC3\xBCn\xC3\xAF\xF0\x9F\x99\x82 +&=%#"},
                 {"state", state},
                 {"link_token", tricky},
                 {"provider_name", tricky},
                 {"delegated_scope", tricky}});
    // The exact encoding: only unreserved characters stay as they are.
    CHECK(request.url.find("&link_token=%C3%BCn%C3%AF%20%F0%9F%99%82%20%2B%26%3D%25%23&") != std::string::npos);
    CHECK(request.url.find("&state=a%2Bb%20c%26d%3De%25f%23g-0123456789&") != std::string::npos);
    CHECK(request.url.find("&redirect_uri=https%3A%2F%2Fexample.com%2Fc%25C3%25BCb%3Fnext%3Da%2Bb%26q%3D%2525%2520&") !=
          std::string::npos);
}

TEST_CASE("the default state is a fresh random state, sent and returned", "[authorize]") {
    const auto first = build_authorization_request(make_config(), "http://example.com", options_with({"felines"}, {}));
    const auto second = build_authorization_request(make_config(), "http://example.com", options_with({"felines"}, {}));
    CHECK(first.state.size() == 22);
    CHECK(is_base64url(first.state));
    CHECK(first.state != second.state);
    CHECK(param(first.url, "state") == first.state);
}

TEST_CASE("random_state is 22 base64url characters and differs between calls", "[authorize]") {
    const std::string a = random_state();
    const std::string b = random_state();
    CHECK(a.size() == 22);
    CHECK(is_base64url(a));
    CHECK(b.size() == 22);
    CHECK(a != b);
}

TEST_CASE("PKCE sends the S256 challenge of the returned verifier, never the verifier", "[authorize]") {
    auto options = options_with({"felines"}, {});
    options.pkce = true;
    const auto request = build_authorization_request(make_config(), "http://example.com", options);

    REQUIRE(request.code_verifier.has_value());
    const std::string& verifier = request.code_verifier->reveal();
    CHECK(verifier.size() == 43);
    CHECK(is_base64url(verifier));  // a subset of RFC 7636's [A-Za-z0-9-._~]
    CHECK(param(request.url, "code_challenge") == code_challenge_s256(*request.code_verifier));
    CHECK(param(request.url, "code_challenge_method") == "S256");
    CHECK(request.url.find(verifier) == std::string::npos);
    CHECK(request.state.find(verifier) == std::string::npos);

    const auto other = build_authorization_request(make_config(), "http://example.com", options);
    REQUIRE(other.code_verifier.has_value());
    CHECK_FALSE(*other.code_verifier == *request.code_verifier);
}

TEST_CASE("PKCE is on by default and off only when asked", "[authorize]") {
    AuthorizationOptions options;
    options.scope = {"felines"};
    const auto request = build_authorization_request(make_config(), "http://example.com", options);
    REQUIRE(request.code_verifier.has_value());
    CHECK(param(request.url, "code_challenge") == code_challenge_s256(*request.code_verifier));
    CHECK(param(request.url, "code_challenge_method") == "S256");

    options.pkce = false;
    const auto without = build_authorization_request(make_config(), "http://example.com", options);
    CHECK_FALSE(without.code_verifier.has_value());
    CHECK(without.url.find("code_challenge") == std::string::npos);
}

TEST_CASE("make_code_verifier gives 43 base64url characters, fresh each time", "[authorize]") {
    const Secret a = make_code_verifier();
    const Secret b = make_code_verifier();
    CHECK(a.size() == 43);
    CHECK(is_base64url(a.reveal()));
    CHECK_FALSE(a == b);
}

TEST_CASE("code_challenge_s256 matches RFC 7636 Appendix B", "[authorize]") {
    CHECK(code_challenge_s256(Secret("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")) ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("a redirect URI that is not registered is a ConfigurationError before anything else", "[authorize]") {
    const Config config = make_config(DataCenter::us, "cats", {"https://example.com/cb"});
    auto e = error_from([&] {
        build_authorization_request(config, "https://example.com/other", options_with({"felines"}));
    });
    CHECK(e.code() == ErrorCode::configuration);
    // Checked before the options: bad options do not hide a bad redirect URI.
    e = error_from([&] { build_authorization_request(config, "https://example.com/other", options_with({})); });
    CHECK(e.code() == ErrorCode::configuration);
    CHECK_THROWS_AS(build_authorization_request(config, "https://example.com/other", options_with({"felines"})),
                    ConfigurationError);
    // The registered one is accepted.
    CHECK(build_authorization_request(config, "https://example.com/cb", options_with({"felines"})).url ==
          "https://app.cronofy.com/oauth/authorize?response_type=code&client_id=cats"
          "&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=felines&state=NY-state-0123456789abcdef");
}

TEST_CASE("bad authorization options are an InvalidArgumentError", "[authorize]") {
    const Config config = make_config();
    const auto rejects = [&](const AuthorizationOptions& options, std::string_view message) {
        const auto e = error_from([&] { build_authorization_request(config, "http://example.com", options); });
        CHECK(e.code() == ErrorCode::invalid_argument);
        CHECK(std::string(e.what()) == message);
    };

    rejects(options_with({}), "scope is empty: give at least one scope");
    rejects(options_with({"felines", ""}), "scope[1] is empty");
    rejects(options_with({"read_account list_calendars"}),
            "scope[0] contains whitespace or a control character: pass each scope as its own element");
    rejects(options_with({"felines\t"}),
            "scope[0] contains whitespace or a control character: pass each scope as its own element");
    rejects(options_with({"felines"}, ""), "state is empty");
    rejects(options_with({"felines"}, "\xC3\xA9t\xC3\xA9"), "state must be printable ASCII (RFC 6749 VSCHAR, %x20-7E)");
    rejects(options_with({"felines"}, "line\nbreak"), "state must be printable ASCII (RFC 6749 VSCHAR, %x20-7E)");

    auto o = options_with({"felines"});
    o.link_token = "";
    rejects(o, "link_token is set but empty: leave it unset to omit it");
    o = options_with({"felines"});
    o.provider_name = "";
    rejects(o, "provider_name is set but empty: leave it unset to omit it");
    o = options_with({"felines"});
    o.delegated_scope = "";
    rejects(o, "delegated_scope is set but empty: leave it unset to omit it");
}

TEST_CASE("split_scope splits on runs of whitespace: join_scope joins with single spaces", "[authorize]") {
    CHECK(split_scope("a b  c") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_scope("  read_account\tlist_calendars \n") ==
          std::vector<std::string>{"read_account", "list_calendars"});
    CHECK(split_scope("").empty());
    CHECK(split_scope("   ").empty());
    CHECK(join_scope({"a", "b", "c"}) == "a b c");
    CHECK(join_scope({"felines"}) == "felines");
    CHECK(join_scope({}).empty());
    CHECK(split_scope(join_scope({"read_account", "list_calendars"})) ==
          std::vector<std::string>{"read_account", "list_calendars"});
}

TEST_CASE("a caller-chosen state that cannot hold 128 bits is an InvalidArgumentError", "[authorize]") {
    const auto build = [](std::string state) {
        return build_authorization_request(make_config(), "http://example.com", options_with({"felines"}, state));
    };
    for (const std::string& state : {std::string("NY"), std::string("state-1"), std::string(21, 'x'),
                                    std::string(31, 'f'), std::string(38, '7'), std::string(19, '~')}) {
        CAPTURE(state);
        const auto e = testing::thrown_by<InvalidArgumentError>([&] { build(state); });
        CHECK_THAT(e.what(), Catch::Matchers::Contains("128 bits"));
    }
    // The thresholds: 22 base64url characters, 32 hex digits, 39 decimal digits, 20 others.
    for (const std::string& state : {std::string(22, 'x'), std::string(32, 'f'), std::string(39, '7'),
                                    std::string(20, '~'), random_state()}) {
        CAPTURE(state);
        CHECK(build(state).state == state);
    }
}

TEST_CASE("a signed state is accepted as the authorization state", "[authorize]") {
    const StateSigner signer(Secret(std::string(32, 'k')));
    const std::string state = signer.issue("session-hash", std::chrono::minutes(10), "return_to=/home");
    const auto request =
        build_authorization_request(make_config(), "http://example.com", options_with({"felines"}, state));
    CHECK(param(request.url, "state") == state);
    CHECK(signer.verify(param(request.url, "state"), "session-hash").app_data == "return_to=/home");
}
