// Nothing calbridge prints (error messages, operator<<) contains a secret: tokens, the client
// secret, authorization codes, PKCE verifiers. The secrets below contain characters that
// encoders change (+ / = % "), and each is looked for raw and in every encoded form a careless
// message could carry.
#include "support/catch.hpp"

#include "util/crypto.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/config.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <functional>
#include <sstream>
#include <vector>

using namespace calbridge;

namespace {

const std::string access_token = "acc+ess/tok=en%41\"quoted\"-0123456789";
const std::string refresh_token = "ref+resh/tok=en%42\"quoted\"-0123456789";
const std::string client_secret = "cli+ent/sec=ret%43\"quoted\"-0123456789";
const std::string code = "co+de/val=ue%44\"quoted\"-0123456789";

// Every form in which a secret could leak into text.
std::vector<std::string> leaked_forms(const std::string& secret) {
    std::vector<std::string> forms{secret};
    forms.push_back(boost::urls::encode(secret, boost::urls::unreserved_chars));
    forms.push_back(boost::json::serialize(boost::json::string(secret)));
    forms.push_back(detail::base64_encode(secret));
    forms.push_back(detail::base64url_encode(secret));
    // A secret's prefix is a leak too (a message may truncate it).
    forms.push_back(secret.substr(0, 12));
    return forms;
}

void require_no_secret(const std::string& text) {
    for (const auto& secret : {access_token, refresh_token, client_secret, code}) {
        for (const auto& form : leaked_forms(secret)) {
            INFO("a secret leaked into printed text");
            CHECK(text.find(form) == std::string::npos);
        }
    }
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("expected an error");
    return {};
}

std::string token_reply(std::string_view expires_in) {
    return R"({"token_type":"bearer","access_token":)" + boost::json::serialize(boost::json::string(access_token)) +
           R"(,"refresh_token":)" + boost::json::serialize(boost::json::string(refresh_token)) +
           R"(,"expires_in":)" + std::string(expires_in) + R"(,"account_id":"acc_1","scope":"read_events"})";
}

}  // namespace

TEST_CASE("credentials print redacted, whatever their tokens contain", "[secrets]") {
    const auto c = Credentials::from_token_response(token_reply("3600"), WallTime{});
    std::ostringstream os;
    os << c;
    require_no_secret(os.str());
    CHECK(os.str().find("acc_1") != std::string::npos);
    std::ostringstream tokens;
    tokens << c.access_token << ' ' << c.refresh_token;
    require_no_secret(tokens.str());
}

TEST_CASE("errors reading malformed token replies carry no token", "[secrets]") {
    require_no_secret(message_of([] { Credentials::from_token_response(token_reply("\"soon\""), WallTime{}); }));
    require_no_secret(message_of([] { Credentials::from_token_response(token_reply("[1]"), WallTime{}); }));
    require_no_secret(message_of([] {
        Credentials::from_token_response(R"({"access_token":)" +
                                             boost::json::serialize(boost::json::string(access_token)) +
                                             R"(,"scope":5})",
                                         WallTime{});
    }));
    require_no_secret(message_of([] { Credentials::from_json(R"({"format":99,"access_token":")" + access_token + "\"}"); }));
    require_no_secret(message_of([] { Credentials::from_json("{\"format\":1,\"access_token\":" + access_token); }));
}

TEST_CASE("configuration errors carry no client secret", "[secrets]") {
    require_no_secret(message_of([] {
        Config::from_json(R"({"client_id":"a","client_secret":)" +
                          boost::json::serialize(boost::json::string(client_secret)) + R"(,"leeway_seconds":-5})");
    }));
    require_no_secret(message_of([] {
        ClientOptions o;
        o.client_id = "cats";
        o.client_secret = Secret(client_secret + "\twith a tab");
        Config c(std::move(o));
    }));
}

TEST_CASE("callback errors carry no authorization code", "[secrets]") {
    const std::string encoded_code = boost::urls::encode(code, boost::urls::unreserved_chars);
    require_no_secret(message_of([&] { parse_callback("?code=" + encoded_code + "&state=other", "expected"); }));
    require_no_secret(
        message_of([&] { parse_callback("?code=" + encoded_code + "&code=x&state=expected", "expected"); }));
    require_no_secret(message_of([&] { parse_callback("?code=" + encoded_code, "expected"); }));
}
