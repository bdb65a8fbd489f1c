// The token endpoints (docs/PROTOCOL.md §2-4): the exact requests, in both encodings and both client
// authentications, and every reply real servers send.
#include "support/catch.hpp"

#include "client_fixture.hpp"

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;

namespace {

const std::string token_url = std::string(api) + "/oauth/token";
const std::string revoke_url = std::string(api) + "/oauth/token/revoke";
constexpr const char* redirect_uri = "https://app.example/callback?next=%2Fhome";
constexpr const char* encoded_redirect_uri = "https%3A%2F%2Fapp.example%2Fcallback%3Fnext%3D%252Fhome";

Step token_step(std::string body, HttpResponse answer, std::vector<HttpHeader> headers = form_headers()) {
    Step s;
    s.method = "POST";
    s.url = token_url;
    s.headers = std::move(headers);
    s.only_these_headers = true;
    s.body = std::move(body);
    s.reply = std::move(answer);
    return s;
}

const std::string exchange_body = "client_id=client-id&client_secret=" + std::string(client_secret_value) +
                                  "&grant_type=authorization_code&code=the-code&redirect_uri=" + encoded_redirect_uri;

Credentials exchange(Fixture& f) { return f.client.exchange_code(Secret("the-code"), redirect_uri); }

}  // namespace

TEST_CASE("the authorization URL is docs/PROTOCOL.md §1's, on the app host", "[token]") {
    Fixture f;
    AuthorizationOptions options;
    options.scope = {"read_account", "list_calendars"};
    options.state = "st+te &=%#-0123456789abcdef";
    options.avoid_linking = true;
    options.pkce = false;  // the exact URL; PKCE (the default) is tested in test_authorization_url.cpp

    const AuthorizationRequest request = f.client.authorization_request(redirect_uri, options);

    CHECK(request.url == std::string("https://app.test/oauth/authorize?response_type=code&client_id=client-id") +
                             "&redirect_uri=" + encoded_redirect_uri +
                             "&scope=read_account%20list_calendars&state=st%2Bte%20%26%3D%25%23-0123456789abcdef"
                             "&avoid_linking=true");
    CHECK(f.transport->requests().empty());
}

TEST_CASE("a code exchange is the form-encoded request of docs/PROTOCOL.md §2", "[token]") {
    Fixture f;
    const std::string reply_body =
        R"({"token_type":"bearer","access_token":"at-1","expires_in":3600,"refresh_token":"rt-1",)"
        R"("scope":"read_account list_calendars","account_id":"acc_1","sub":"acc_1",)"
        R"("linking_profile":{"provider_name":"google","profile_id":"pro_1","profile_name":"someone@example.com"}})";
    f.transport->expect(token_step(exchange_body, json_reply(200, reply_body, {{"Cache-Control", "no-store"}})));

    const Credentials c = exchange(f);

    CHECK(c.access_token.reveal() == "at-1");
    CHECK(c.refresh_token.reveal() == "rt-1");
    CHECK(c.expires_at == f.clock.wall() + 3600s);
    CHECK(c.account_id == "acc_1");
    CHECK(c.linking_profile == LinkingProfile{"google", "pro_1", "someone@example.com"});
    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("every value of a token request is percent-encoded: + & = % # space and non-ASCII", "[token]") {
    ClientOptions o = test_options();
    o.client_id = "app+id&=%#\xC3\xA9";
    o.client_secret = Secret("se+cr&et=%#\xC3\xA9/0123456789");
    Fixture f(o);
    f.transport->expect(token_step("client_id=app%2Bid%26%3D%25%23%C3%A9&client_secret=se%2Bcr%26et%3D%25%23%C3%A9%2F0123456789"
                                   "&grant_type=authorization_code&code=c%2B%26%3D%25%23%20%C3%A9&redirect_uri=" +
                                       std::string(encoded_redirect_uri) + "&code_verifier=v%2B%26%3D%25%23%20%C3%A9",
                                   json_reply(200, token_reply("at-1", "rt-1"))));

    f.client.exchange_code(Secret("c+&=%# \xC3\xA9"), redirect_uri, Secret("v+&=%# \xC3\xA9"));

    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a code exchange can be sent as JSON", "[token]") {
    ClientOptions o = test_options();
    o.token_encoding = TokenRequestEncoding::json;
    Fixture f(o);
    f.transport->expect(token_step(R"({"client_id":"client-id","client_secret":")" + std::string(client_secret_value) +
                                       R"(","grant_type":"authorization_code","code":"the-code","redirect_uri":")" +
                                       redirect_uri + R"("})",
                                   json_reply(200, token_reply("at-1", "rt-1")),
                                   {{"Accept", "application/json"},
                                    {"User-Agent", user_agent},
                                    {"Content-Type", "application/json; charset=utf-8"}}));

    CHECK(exchange(f).access_token.reveal() == "at-1");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("with HTTP Basic the client credentials go in the header, form-encoded, not in the body", "[token]") {
    ClientOptions o = test_options();
    o.client_authentication = ClientAuthentication::http_basic;
    o.client_id = "id:1";
    Fixture f(o);
    // base64("id%3A1:client-secret-0123456789")
    f.transport->expect(token_step("grant_type=authorization_code&code=the-code&redirect_uri=" +
                                       std::string(encoded_redirect_uri),
                                   json_reply(200, token_reply("at-1", "rt-1")),
                                   {{"Authorization", "Basic aWQlM0ExOmNsaWVudC1zZWNyZXQtMDEyMzQ1Njc4OQ=="},
                                    {"Accept", "application/json"},
                                    {"User-Agent", user_agent},
                                    {"Content-Type", "application/x-www-form-urlencoded"}}));

    exchange(f);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a client secret with spaces is percent-encoded in the body and in HTTP Basic", "[token]") {
    ClientOptions o = test_options();
    o.client_secret = Secret("a secret with spaces + plus");
    {
        Fixture f(o);
        f.transport->expect(token_step("client_id=client-id&client_secret=a%20secret%20with%20spaces%20%2B%20plus"
                                       "&grant_type=authorization_code&code=the-code&redirect_uri=" +
                                           std::string(encoded_redirect_uri),
                                       json_reply(200, token_reply("at-1", "rt-1"))));
        exchange(f);
        CHECK(f.transport->failures().empty());
    }
    o.client_authentication = ClientAuthentication::http_basic;
    Fixture f(o);
    // base64("client-id:a%20secret%20with%20spaces%20%2B%20plus")
    f.transport->expect(token_step("grant_type=authorization_code&code=the-code&redirect_uri=" +
                                       std::string(encoded_redirect_uri),
                                   json_reply(200, token_reply("at-1", "rt-1")),
                                   {{"Authorization", "Basic Y2xpZW50LWlkOmElMjBzZWNyZXQlMjB3aXRoJTIwc3BhY2VzJTIwJTJCJTIwcGx1cw=="},
                                    {"Accept", "application/json"},
                                    {"User-Agent", user_agent},
                                    {"Content-Type", "application/x-www-form-urlencoded"}}));
    exchange(f);
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a token reply whose token_type is not bearer is refused: it would be sent as one", "[token]") {
    for (const std::string type : {"mac", "DPoP", "bearer2", "N_A", ""}) {
        Fixture f;
        f.transport->expect(token_step(exchange_body, json_reply(200, R"({"token_type":")" + type +
                                                                          R"(","access_token":"at-1","account_id":"a"})")));
        try {
            exchange(f);
            FAIL("token_type " << type << " was accepted");
        } catch (const ProtocolError& e) {
            CHECK(std::string(e.what()).find("token_type") != std::string::npos);
            CHECK(std::string(e.what()).find("at-1") == std::string::npos);
        }
    }
    for (const std::string type : {"bearer", "Bearer", "BEARER"}) {
        Fixture f;
        f.transport->expect(token_step(exchange_body, json_reply(200, R"({"token_type":")" + type +
                                                                          R"(","access_token":"at-1","account_id":"a"})")));
        CHECK(exchange(f).access_token.reveal() == "at-1");
    }
}

TEST_CASE("a token_type that echoes a secret is refused without quoting the secret", "[token]") {
    const std::string echoes[] = {"b" + std::string(client_secret_value) + "earer", "mac at-echoed-0123456789"};
    for (const std::string& type : echoes) {
        Fixture f;
        f.transport->expect(token_step(exchange_body, json_reply(200, R"({"token_type":")" + type +
                                                                          R"(","access_token":"at-echoed-0123456789","account_id":"a"})")));
        try {
            exchange(f);
            FAIL("token_type " << type << " was accepted");
        } catch (const ProtocolError& e) {
            const std::string what = e.what();
            CHECK(what.find("token_type") != std::string::npos);
            CHECK(what.find(client_secret_value) == std::string::npos);
            CHECK(what.find("at-echoed-0123456789") == std::string::npos);
        }
    }
}

TEST_CASE("a token reply without token_type is taken as bearer", "[token]") {
    Fixture f;
    f.transport->expect(token_step(exchange_body, json_reply(200, R"({"access_token":"at-1","account_id":"a"})")));
    CHECK(exchange(f).token_type == "bearer");
}

TEST_CASE("a plain OAuth2 reply names no account: the application's key is used and stored", "[token]") {
    const std::string plain = R"({"token_type":"Bearer","access_token":"at-1","expires_in":3600,"refresh_token":"rt-1"})";
    {
        Fixture f;
        f.transport->expect(token_step(exchange_body, json_reply(200, plain)));
        CHECK(exchange(f).account_key().empty());  // the token endpoint alone: not an error
    }
    {
        Fixture f;
        f.transport->expect(token_step(exchange_body, json_reply(200, plain)));
        const Credentials c = f.client.exchange_code(Secret("the-code"), redirect_uri, std::nullopt, {}, "user-42");
        CHECK(c.account_id == "user-42");
        CHECK(c.account_key() == "user-42");
    }
    {
        // A reply that names an account wins over the application's key.
        Fixture f;
        f.transport->expect(token_step(exchange_body, json_reply(200, token_reply("at-1", "rt-1"))));
        const Credentials c = f.client.exchange_code(Secret("the-code"), redirect_uri, std::nullopt, {}, "user-42");
        CHECK(c.account_key() != "user-42");
        CHECK_FALSE(c.account_key().empty());
    }
    {
        Fixture f;
        CHECK_THROWS_AS(f.client.exchange_code(Secret("the-code"), redirect_uri, std::nullopt, {}, "user 42"),
                        InvalidArgumentError);
        CHECK(f.transport->requests().empty());
    }
}

TEST_CASE("a refresh is docs/PROTOCOL.md §3's request", "[token]") {
    Fixture f;
    f.transport->expect(refresh_step("rt-1", json_reply(200, token_reply("at-2", "rt-2"))));

    const Credentials c = f.client.refresh(credentials("at-1", "rt-1", f.clock.wall()));

    CHECK(c.access_token.reveal() == "at-2");
    CHECK(c.refresh_token.reveal() == "rt-2");
    CHECK(f.transport->failures().empty());
}

TEST_CASE("a refresh reply without refresh_token, scope or account keeps the old ones", "[token]") {
    Fixture f;
    f.transport->expect(refresh_step("rt-1", json_reply(200, R"({"access_token":"at-2","expires_in":"3600"})")));

    const Credentials c = f.client.refresh(credentials("at-1", "rt-1", f.clock.wall()));

    CHECK(c.access_token.reveal() == "at-2");
    CHECK(c.refresh_token.reveal() == "rt-1");
    CHECK(c.scope == std::vector<std::string>{"read_account", "list_calendars"});
    CHECK(c.account_id == "acc_1");
    CHECK(c.expires_at == f.clock.wall() + 3600s);
}

TEST_CASE("JSON labelled text/plain is read as JSON", "[token]") {
    Fixture f;
    f.transport->expect(refresh_step("rt-1", reply(200, token_reply("at-2", "rt-2"), {{"Content-Type", "text/plain"}})));

    CHECK(f.client.refresh(credentials("at-1", "rt-1", f.clock.wall())).access_token.reveal() == "at-2");
}

TEST_CASE("200 with an error field is the OAuth error it names", "[token]") {
    Fixture f;
    f.transport->expect(refresh_step("rt-1", json_reply(200, R"({"error":"invalid_grant","error_description":"gone"})")));
    f.transport->expect(refresh_step("rt-1", json_reply(200, R"({"error":"invalid_request","error_uri":"https://x"})")));
    const Credentials old = credentials("at-1", "rt-1", f.clock.wall());

    const auto grant = thrown_by<InvalidGrantError>([&] { f.client.refresh(old); });
    const auto other = thrown_by<BadRequestError>([&] { f.client.refresh(old); });

    CHECK(grant.http_status() == 200);
    CHECK(grant.oauth_error() == "invalid_grant");
    CHECK(grant.oauth_error_description() == "gone");
    CHECK(std::string(grant.what()) == "refresh: the token endpoint replied invalid_grant (HTTP 200): gone");
    CHECK(other.oauth_error() == "invalid_request");
    CHECK(other.oauth_error_uri() == "https://x");
}

TEST_CASE("invalid_client, with 400 or 401, is a configuration error", "[token]") {
    Fixture f;
    f.transport->expect(token_step(exchange_body, json_reply(400, R"({"error":"invalid_client"})")));
    f.transport->expect(token_step(exchange_body, json_reply(401, R"({"error":"invalid_client"})")));
    f.transport->expect(token_step(exchange_body, reply(401, "")));

    for (int status : {400, 401, 401}) {
        const auto e = thrown_by<InvalidClientError>([&] { exchange(f); });
        CHECK(e.http_status() == status);
        CHECK(dynamic_cast<const ConfigurationError*>(&e) != nullptr);
    }
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("invalid_client from a session's refresh fails the call: no retry, no reauthorization", "[token]") {
    std::vector<std::string> reauthorizations;
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.on_reauthorization_required = [&](std::string_view account) { reauthorizations.emplace_back(account); };
    });
    REQUIRE(f.store->insert("acc_1", credentials("at-1", "rt-1", f.clock.wall())));
    f.transport->expect(refresh_step("rt-1", json_reply(401, R"({"error":"invalid_client"})")));

    CHECK_THROWS_AS(f.client.session("acc_1").calendars(), InvalidClientError);

    CHECK(f.transport->requests().size() == 1);
    CHECK(reauthorizations.empty());
    CHECK(f.store->load("acc_1")->version == 1);  // nothing written
}

TEST_CASE("a bad or used code is invalid_grant", "[token]") {
    Fixture f;
    f.transport->expect(token_step(exchange_body, json_reply(400, R"({"error":"invalid_grant"})")));

    const auto e = thrown_by<InvalidGrantError>([&] { exchange(f); });
    CHECK(e.http_status() == 400);
    CHECK(std::string(e.what()) == "code exchange: the token endpoint replied invalid_grant (HTTP 400)");
}

TEST_CASE("an HTML error page is the status's error, with a short excerpt and no secret", "[token]") {
    Fixture f;
    // A proxy page that echoes the request body, secrets and all.
    const std::string page = "<html><title>500 Internal Server Error</title><body>request was: " + exchange_body +
                             " code=the-code</body></html>";
    f.transport->expect(token_step(exchange_body, reply(500, page, {{"Content-Type", "text/html"}})));

    const auto e = thrown_by<ServerError>([&] { exchange(f); });

    const std::string message = e.what();
    CHECK(message.rfind("POST /oauth/token: HTTP 500 (server): 500 Internal Server Error request was: ", 0) == 0);
    CHECK(message.size() < 220);
    CHECK(message.find(client_secret_value) == std::string::npos);
    CHECK(message.find("the-code") == std::string::npos);
}

TEST_CASE("a 200 that is not JSON is a ProtocolError with an excerpt", "[token]") {
    Fixture f;
    f.transport->expect(token_step(exchange_body, reply(200, "<html>Maintenance</html>")));

    const auto e = thrown_by<ProtocolError>([&] { exchange(f); });
    CHECK(std::string(e.what()) == "code exchange: the token endpoint's reply (HTTP 200) is not a JSON object: Maintenance");
}

TEST_CASE("revoke sends the refresh token, or the access token when there is none, or the sub", "[token]") {
    Fixture f;
    const std::string prefix = "client_id=client-id&client_secret=" + std::string(client_secret_value);
    for (const std::string& body : {prefix + "&token=rt-1", prefix + "&token=at-1", prefix + "&sub=acc_1"}) {
        Step s = token_step(body, reply(200));
        s.url = revoke_url;
        f.transport->expect(s);
    }

    f.client.revoke(credentials("at-1", "rt-1", f.clock.wall()));
    f.client.revoke(credentials("at-1", "", f.clock.wall()));
    f.client.revoke_sub("acc_1");

    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("a refused revoke is typed like any token endpoint error", "[token]") {
    Fixture f;
    Step s = token_step("client_id=client-id&client_secret=" + std::string(client_secret_value) + "&sub=acc_1",
                        json_reply(401, R"({"error":"invalid_client"})"));
    s.url = revoke_url;
    f.transport->expect(s);

    CHECK_THROWS_AS(f.client.revoke_sub("acc_1"), InvalidClientError);
}

TEST_CASE("revoking a token the server calls already invalid returns and logs at info only", "[token]") {
    Fixture f;
    const std::string prefix = "client_id=client-id&client_secret=" + std::string(client_secret_value);
    for (const auto& [body, error] : {std::pair{prefix + "&token=rt-1", "invalid_grant"},
                                      std::pair{prefix + "&token=rt-1", "invalid_token"},
                                      std::pair{prefix + "&sub=acc_1", "invalid_grant"}}) {
        Step s = token_step(body, json_reply(400, std::string(R"({"error":")") + error + R"("})"));
        s.url = revoke_url;
        f.transport->expect(s);
    }

    f.client.revoke(credentials("at-1", "rt-1", f.clock.wall()));
    f.client.revoke(credentials("at-1", "rt-1", f.clock.wall()));
    f.client.revoke_sub("acc_1");

    CHECK(f.transport->unused_steps() == 0);
    CHECK(f.log.count_containing("nothing to revoke") + f.log.count_containing("no grant left to revoke") == 3);
    for (const auto& [level, line] : f.log.lines()) CHECK(level < LogLevel::warning);
}

TEST_CASE("a revoke refused for another reason than an invalid token still throws", "[token]") {
    Fixture f;
    Step s = token_step("client_id=client-id&client_secret=" + std::string(client_secret_value) + "&token=rt-1",
                        json_reply(400, R"({"error":"invalid_request"})"));
    s.url = revoke_url;
    f.transport->expect(s);

    CHECK_THROWS_AS(f.client.revoke(credentials("at-1", "rt-1", f.clock.wall())), BadRequestError);
}

TEST_CASE("a log threshold given as an atomic is read at each log point", "[token]") {
    const auto threshold = std::make_shared<std::atomic<LogLevel>>(LogLevel::off);
    Fixture f(test_options(), [&](ClientDependencies& d) {
        d.log_level = LogLevel::trace;  // ignored: log_threshold wins
        d.log_threshold = threshold;
    });
    const std::string prefix = "client_id=client-id&client_secret=" + std::string(client_secret_value);
    for (int i = 0; i < 3; ++i) {
        Step s = token_step(prefix + "&token=rt-1", reply(200));
        s.url = revoke_url;
        f.transport->expect(s);
    }

    f.client.revoke(credentials("at-1", "rt-1", f.clock.wall()));
    CHECK(f.log.lines().empty());

    threshold->store(LogLevel::info);
    f.client.revoke(credentials("at-1", "rt-1", f.clock.wall()));
    CHECK(f.log.count_containing("revoked a grant") == 1);
    for (const auto& [level, line] : f.log.lines()) CHECK(level >= LogLevel::info);

    threshold->store(LogLevel::warning);
    f.client.revoke(credentials("at-1", "rt-1", f.clock.wall()));
    CHECK(f.log.count_containing("revoked a grant") == 1);
}

TEST_CASE("complete_authorization checks the redirect back, exchanges the code and stores the result", "[token]") {
    Fixture f;
    f.transport->expect(token_step(exchange_body, json_reply(200, token_reply("at-1", "rt-1"))));
    REQUIRE(f.store->insert("acc_1", credentials("old", "old-rt", f.clock.wall())));

    const Credentials c = f.client.complete_authorization(
        "https://app.example/callback?next=%2Fhome&code=the-code&state=s-1", "s-1", redirect_uri);

    CHECK(c.access_token.reveal() == "at-1");
    const auto stored = f.store->load("acc_1");
    REQUIRE(stored);
    CHECK(stored->version == 2);  // replaced, whatever was there
    CHECK(stored->credentials == c);
}

TEST_CASE("complete_authorization sends nothing when the state does not match", "[token]") {
    Fixture f;
    CHECK_THROWS_AS(f.client.complete_authorization("https://app.example/callback?code=c&state=evil", "s-1", redirect_uri),
                    StateMismatchError);
    CHECK(f.transport->requests().empty());
}

TEST_CASE("complete_authorization hands a live session the new credentials", "[token]") {
    Fixture f;
    REQUIRE(f.store->insert("acc_1", credentials("old", "old-rt", f.clock.wall() + 1h)));
    const Session session = f.client.session("acc_1");
    f.transport->expect(calendars_step("old"));
    session.calendars();
    f.transport->expect(token_step(exchange_body, json_reply(200, token_reply("at-new", "rt-new"))));
    f.transport->expect(calendars_step("at-new"));

    f.client.complete_authorization("https://app.example/callback?code=the-code&state=s", "s", redirect_uri);
    session.calendars();

    CHECK(f.transport->failures().empty());
    CHECK(f.transport->unused_steps() == 0);
}

TEST_CASE("complete_authorization stores a plain OAuth2 grant under the application's key", "[token]") {
    const std::string plain = R"({"token_type":"bearer","access_token":"at-1","expires_in":3600,"refresh_token":"rt-1"})";
    Fixture f;
    f.transport->expect(token_step(exchange_body, json_reply(200, plain)));
    f.client.complete_authorization("https://app.example/callback?code=the-code&state=s", "s", redirect_uri,
                                    std::nullopt, {}, "user-42");
    const auto stored = f.store->load("user-42");
    REQUIRE(stored);
    CHECK(stored->credentials.access_token.reveal() == "at-1");
    CHECK(stored->credentials.account_id == "user-42");
    // The account's later refreshes keep the key (the reply names none again).
    f.transport->expect(refresh_step("rt-1", json_reply(200, R"({"token_type":"bearer","access_token":"at-2","expires_in":3600})")));
    const Credentials refreshed = f.client.refresh(stored->credentials);
    CHECK(refreshed.account_key() == "user-42");
    CHECK(refreshed.refresh_token.reveal() == "rt-1");
}

TEST_CASE("complete_authorization refuses a reply that names no account when the application gave none", "[token]") {
    Fixture f;
    f.transport->expect(token_step(exchange_body, json_reply(200, R"({"token_type":"bearer","access_token":"at-1"})")));
    try {
        f.client.complete_authorization("https://app.example/callback?code=the-code&state=s", "s", redirect_uri);
        FAIL("stored credentials without an account");
    } catch (const ProtocolError& e) {
        CHECK(std::string(e.what()).find("names no account") != std::string::npos);
        CHECK(std::string(e.what()).find("at-1") == std::string::npos);
    }
}
