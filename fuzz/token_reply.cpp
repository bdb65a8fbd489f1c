// The token endpoint's replies (read_token_reply, read_revoke_reply): any status, headers and
// body, for a code exchange that carried a client secret, a code and a PKCE verifier.
//
// Input: byte 0 picks the status, byte 1 the request encoding and client authentication,
// byte 2 whether a Retry-After header follows (up to the first newline); the rest is the body.
// Invariants: only calbridge errors; no secret of the request (client secret, code, verifier)
// in any error message or error detail, whatever the body echoes; credentials read from a
// reply survive to_json → from_json unchanged (numbers among the unknown fields within the
// tolerance of same_credentials.hpp), and carry_over keeps what the reply left out.
#include "fuzz_support.hpp"
#include "same_credentials.hpp"

#include "token/token_reply.hpp"

#include <calbridge/config.hpp>
#include <calbridge/credentials.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace calbridge;

constexpr std::string_view client_secret = "MARKERclientSecret0123456789";
constexpr std::string_view code = "MARKERauthCode+/=9876543210";
constexpr std::string_view verifier = "MARKERverifier_-~abcdefghijkl";
constexpr std::array<int, 16> statuses = {200, 201, 204, 400, 401, 403, 404, 422, 423, 429, 500, 502, 503, 302, 100, 0};

const Config& config_for(unsigned variant) {
    static const std::array<Config, 4> configs = [] {
        auto make = [](TokenRequestEncoding encoding, ClientAuthentication auth) {
            ClientOptions o;
            o.client_id = "client-id";
            o.client_secret = Secret(std::string(client_secret));
            o.api_url = "https://api.test";
            o.app_url = "https://app.test";
            o.token_encoding = encoding;
            o.client_authentication = auth;
            return Config(std::move(o));
        };
        return std::array<Config, 4>{make(TokenRequestEncoding::form, ClientAuthentication::request_body),
                                     make(TokenRequestEncoding::json, ClientAuthentication::request_body),
                                     make(TokenRequestEncoding::form, ClientAuthentication::http_basic),
                                     make(TokenRequestEncoding::json, ClientAuthentication::http_basic)};
    }();
    return configs[variant % configs.size()];
}

void check_secret_free(const Error& e) {
    for (std::string_view secret : {client_secret, code, verifier}) {
        const ErrorDetails& d = e.details();
        for (std::string_view text : {std::string_view(e.what()), std::string_view(d.oauth_error),
                                      std::string_view(d.oauth_error_description), std::string_view(d.oauth_error_uri)}) {
            if (fuzz::contains(text, secret)) fuzz::fail("a request's secret reached an error", text);
        }
        for (const FieldError& f : d.field_errors) {
            if (fuzz::contains(f.description, secret)) fuzz::fail("a request's secret reached a field error");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const int status = statuses[data[0] % statuses.size()] + (data[0] >= 240 ? data[0] - 240 : 0);
    const Config& config = config_for(data[1]);
    std::string rest(reinterpret_cast<const char*>(data + 3), size - 3);

    HttpResponse response;
    response.status = status;
    response.headers.push_back({"Content-Type", (data[1] & 4) != 0 ? "text/plain" : "application/json"});
    if ((data[2] & 1) != 0) {
        const auto nl = rest.find('\n');
        response.headers.push_back({"Retry-After", rest.substr(0, nl)});
        rest = nl == std::string::npos ? std::string() : rest.substr(nl + 1);
    }
    response.body = rest;

    detail::TokenRequest request;
    detail::TokenRequestBuilder(config, "/oauth/token")
        .field("grant_type", "authorization_code")
        .secret_field("code", Secret(std::string(code)))
        .field("redirect_uri", "https://app.example/cb")
        .secret_field("code_verifier", Secret(std::string(verifier)))
        .build(request);
    const WallTime requested_at{std::chrono::seconds(1'800'000'000)};

    try {
        if ((data[2] & 2) != 0) {
            detail::read_revoke_reply(request, response, requested_at, "revoking a token");
            fuzz::check(status >= 200 && status < 300, "a revoke succeeds only with 2xx");
            return 0;
        }
        const Credentials c = detail::read_token_reply(request, response, requested_at, "exchanging a code");
        fuzz::check(status >= 200 && status < 300, "credentials only from a 2xx reply");
        fuzz::check(!c.access_token.empty(), "credentials have an access token");
        const Credentials back = Credentials::from_json(c.to_json());
        fuzz::check(fuzz::same_credentials(back, c), "credentials survive to_json and from_json", c.to_json());

        Credentials previous;
        previous.refresh_token = Secret("previous-refresh");
        previous.scope = {"a", "b"};
        previous.account_id = "acc_previous";
        const Credentials merged = detail::carry_over(c, previous);
        fuzz::check(!merged.refresh_token.empty() && !merged.scope.empty() && !merged.account_id.empty(),
                    "carry_over fills what the reply left out");
        fuzz::check(merged.access_token == c.access_token, "carry_over keeps the new access token");
    } catch (const Error& e) {
        check_secret_free(e);
    } catch (const std::exception& e) {
        fuzz::fail("a non-calbridge exception escaped", e.what());
    }
    return 0;
}
