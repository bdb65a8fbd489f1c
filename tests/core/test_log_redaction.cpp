// The whole flow at trace level, with secrets full of characters that encodings change
// (+ / = % "): neither the log nor any error message contains one, raw or encoded.
#include "support/catch.hpp"

#include "client_fixture.hpp"
#include "util/crypto.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

namespace urls = boost::urls;

const std::string client_secret = "cs+/=%\"-client-secret-0123";
const std::string code = "code+/=%\"-authorization-0123";
const std::string verifier = "verifier+/=%\"-pkce-0123456789";
const std::string access_1 = "at+/=%\"-first-access-0001";
const std::string refresh_1 = "rt+/=%\"-first-refresh-0001";
const std::string access_2 = "at+/=%\"-second-access-0002";
const std::string refresh_2 = "rt+/=%\"-second-refresh-0002";
const std::string link_token = "lt+/=%\"-link-token-000001";

std::string form(const std::string& s) { return urls::encode(s, urls::unreserved_chars); }
std::string json_string(const std::string& s) { return boost::json::serialize(boost::json::string(s)); }
std::string json_escaped(const std::string& s) {
    const std::string quoted = json_string(s);
    return quoted.substr(1, quoted.size() - 2);
}

// Every encoding a secret travels in.
std::vector<std::string> encodings_of(const std::string& secret) {
    std::string unpadded = detail::base64_encode(secret);
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    return {secret,
            form(secret),
            urls::encode(secret, urls::unreserved_chars, urls::encoding_opts(false, true)),
            json_escaped(secret),
            unpadded,
            detail::base64url_encode(secret)};
}

// What must not appear anywhere: every encoding, and a part long enough to identify the secret
// (in case something cut one short, e.g. an excerpt's length limit).
std::vector<std::string> forms_of(const std::string& secret) {
    auto forms = encodings_of(secret);
    forms.push_back(secret.substr(0, 16));
    return forms;
}

std::string token_json(const std::string& access, const std::string& refresh) {
    return R"({"token_type":"bearer","access_token":)" + json_string(access) + R"(,"expires_in":3600,"refresh_token":)" +
           json_string(refresh) + R"(,"scope":"read_account list_calendars","account_id":"acc_1","sub":"acc_1"})";
}

// A proxy error page that echoes the secrets of the request it answers, in every encoding.
std::string echoing_page(const std::vector<std::string>& secrets) {
    std::string page = "<html><body><h1>Error</h1><pre>";
    for (const auto& s : secrets) {
        for (const auto& f : encodings_of(s)) page += f + " | ";
    }
    return page + "</pre></body></html>";
}

}  // namespace

TEST_CASE("a trace log of the whole flow, and every error message, contain no secret in any encoding", "[log]") {
    ClientOptions options = test_options();
    options.client_secret = Secret(client_secret);
    Fixture f(options);
    const std::string exchange_body = "client_id=client-id&client_secret=" + form(client_secret) +
                                      "&grant_type=authorization_code&code=" + form(code) +
                                      "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=" + form(verifier);
    const std::vector<std::string> all = {client_secret, code, verifier, access_1, refresh_1, access_2, refresh_2,
                                          link_token};
    std::vector<std::string> messages;
    const auto expect_failure = [&](auto&& call) {
        try {
            call();
            messages.push_back("(no error)");
        } catch (const Error& e) {
            messages.push_back(e.what());
            messages.push_back(e.oauth_error_description());
            for (const auto& field : e.field_errors()) messages.push_back(field.description);
        }
    };

    // The authorization URL and the redirect back with the code.
    AuthorizationOptions auth;
    auth.scope = {"read_account", "list_calendars"};
    auth.state = "state-1-0123456789abcdefgh";
    f.client.authorization_request("https://app.example/cb", auth);
    Step exchange;
    exchange.method = "POST";
    exchange.url = std::string(api) + "/oauth/token";
    exchange.body = exchange_body;
    exchange.reply = json_reply(200, token_json(access_1, refresh_1));
    f.transport->expect(exchange);
    f.client.complete_authorization("https://app.example/cb?code=" + form(code) + "&state=state-1", "state-1",
                                    "https://app.example/cb", Secret(verifier));
    const Session session = f.client.session("acc_1");

    // A 401 whose page echoes the token, a refresh, the retry; a link token.
    f.transport->expect(calendars_step(access_1, reply(401, echoing_page({access_1, client_secret}))));
    f.transport->expect(refresh_step(form(refresh_1), json_reply(200, token_json(access_2, refresh_2)), form(client_secret)));
    f.transport->expect(calendars_step(access_2));
    f.transport->expect(api_step("POST", "/v1/link_tokens", access_2,
                                 json_reply(200, R"({"link_token":)" + json_string(link_token) + "}")));
    session.calendars();
    session.create_link_token();

    // Error replies that echo secrets: an HTML page, a 422, an OAuth error description.
    f.transport->expect(api_step("GET", "/v1/account", access_2, reply(500, echoing_page({access_2, client_secret}))));
    expect_failure([&] { session.account(); });
    f.transport->expect(api_step("GET", "/v1/profiles", access_2,
                                 json_reply(422, R"({"errors":{"x":[{"key":"k","description":)" +
                                                     json_string(echoing_page({access_2})) + "}]}}")));
    expect_failure([&] { session.profiles(); });
    f.clock.advance(2h);
    f.transport->expect(refresh_step(form(refresh_2),
                                     json_reply(400, R"({"error":"invalid_grant","error_description":)" +
                                                         json_string(echoing_page({refresh_2, access_2, client_secret})) +
                                                         "}"),
                                     form(client_secret)));
    expect_failure([&] { session.calendars(); });
    Step failed_exchange = exchange;
    failed_exchange.reply = reply(502, echoing_page({code, verifier, client_secret}));
    f.transport->expect(failed_exchange);
    expect_failure([&] { f.client.exchange_code(Secret(code), "https://app.example/cb", Secret(verifier)); });

    const std::string log = f.log.text();
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(f.transport->unused_steps() == 0);
    CHECK(log.find("trace: sending POST https://api.test/oauth/token") != std::string::npos);
    CHECK(log.find("refreshed the access token") != std::string::npos);
    CHECK(messages.size() >= 4);
    for (const auto& secret : all) {
        for (const auto& encoded : forms_of(secret)) {
            CAPTURE(secret, encoded);
            CHECK(log.find(encoded) == std::string::npos);
            for (const auto& message : messages) CHECK(message.find(encoded) == std::string::npos);
        }
    }
}

TEST_CASE("a next_page that carries the bearer token leaves it out of the trace log and error messages", "[log]") {
    // The server writes next_page, so it can put the token into it; the request that follows
    // carries the token in its Authorization header, which is what the core scrubs by.
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials(access_1, refresh_1, f.clock.wall() + 1h)));
    const Session session = f.client.session("acc_1");
    const std::string next = std::string(api) + "/v1/events/pages/" + form(access_1) + "?again=" + form(access_1);
    f.transport->expect(api_step("GET", "/v1/events?tzid=Etc%2FUTC&from=2026-11-28&to=2026-12-05", access_1,
                                 json_reply(200, R"({"pages":{"current":1,"total":2,"next_page":)" + json_string(next) +
                                                     R"(},"events":[]})")));
    f.transport->expect(api_step("GET", next, access_1, reply(500, "broken")));
    EventsQuery query;
    query.from = std::chrono::year{2026} / 11 / 28;
    query.to = std::chrono::year{2026} / 12 / 5;
    std::string message;
    try {
        (void)session.events(query).all();
    } catch (const ServerError& e) {
        message = e.what();
    }

    const std::string log = f.log.text();
    CHECK(f.transport->failures() == std::vector<std::string>{});
    CHECK(message.find("GET /v1/events/pages/") != std::string::npos);  // the path is named, the token is not
    CHECK(log.find("sending GET https://api.test/v1/events/pages/") != std::string::npos);
    for (const auto& encoded : forms_of(access_1)) {
        CAPTURE(encoded);
        CHECK(log.find(encoded) == std::string::npos);
        CHECK(message.find(encoded) == std::string::npos);
    }
}
