// Credentials: reading the token reply (docs/PROTOCOL.md §2), the stored JSON forms, expiry, printing,
// and RFC 3339.
#include "support/catch.hpp"
#include "support/thrown_by.hpp"

#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>

#include <chrono>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace calbridge;
using namespace calbridge::testing;
using namespace std::chrono_literals;
using std::chrono::sys_days;

namespace {

// 2026-11-28T01:02:03Z, with a fraction that the expiry must drop (it errs early).
const WallTime requested_at = sys_days{std::chrono::year{2026} / 11 / 28} + 1h + 2min + 3s + 250ms;
const WallTime requested_second = sys_days{std::chrono::year{2026} / 11 / 28} + 1h + 2min + 3s;

constexpr const char* access_value = "ACCESS-sl.B0aAbCdEfGhIjKlMnOp";
constexpr const char* refresh_value = "REFRESH-rt.ZyXwVuTsRqPoNmLkJiH";

const std::string full_reply = std::string(R"({"token_type":"bearer","access_token":")") + access_value +
                               R"(","expires_in":3600,"refresh_token":")" + refresh_value +
                               R"(","scope":"read_account list_calendars read_events",)"
                               R"("account_id":"acc_5700a00eb0ccd07000000000","sub":"acc_5700a00eb0ccd07000000000",)"
                               R"("linking_profile":{"provider_name":"google","profile_id":"pro_n23kjnwrw2",)"
                               R"("profile_name":"someone@example.com"},)"
                               R"("userinfo":{"sub":"acc_5700a00eb0ccd07000000000","email":"someone@example.com",)"
                               R"("cronofy.data":{"authorization":{"scope":"read_account"}}},"server_hint":7})";

// A reply with only the required field and the given extra members, e.g. `"expires_in":-5`.
std::string reply_with(const std::string& members) {
    return std::string(R"({"access_token":")") + access_value + "\"" + (members.empty() ? "" : "," + members) + "}";
}

std::optional<WallTime> expiry_for(const std::string& expires_in_member) {
    return Credentials::from_token_response(reply_with(expires_in_member), requested_at).expires_at;
}


ProtocolError token_reply_error(const std::string& reply) {
    return thrown_by<ProtocolError>([&] { Credentials::from_token_response(reply, requested_at); });
}

ProtocolError stored_error(const std::string& stored) {
    return thrown_by<ProtocolError>([&] { Credentials::from_json(stored); });
}

}  // namespace

TEST_CASE("a token reply becomes credentials with every field, unknown ones kept verbatim", "[credentials]") {
    const Credentials c = Credentials::from_token_response(full_reply, requested_at);

    CHECK(c.access_token.reveal() == access_value);
    CHECK(c.refresh_token.reveal() == refresh_value);
    CHECK(c.token_type == "bearer");
    CHECK(c.scope == std::vector<std::string>{"read_account", "list_calendars", "read_events"});
    CHECK(c.expires_at == requested_second + 3600s);
    CHECK(c.account_id == "acc_5700a00eb0ccd07000000000");
    CHECK(c.sub == "acc_5700a00eb0ccd07000000000");
    REQUIRE(c.linking_profile.has_value());
    CHECK(*c.linking_profile == LinkingProfile{"google", "pro_n23kjnwrw2", "someone@example.com"});
    CHECK(c.extra_json == R"({"userinfo":{"sub":"acc_5700a00eb0ccd07000000000","email":"someone@example.com",)"
                          R"("cronofy.data":{"authorization":{"scope":"read_account"}}},"server_hint":7})");
}

TEST_CASE("credentials are stored as format 1 and read back equal", "[credentials]") {
    const Credentials c = Credentials::from_token_response(full_reply, requested_at);

    const std::string stored = c.to_json();
    CHECK(stored == std::string(R"({"format":1,"token_type":"bearer","access_token":")") + access_value +
                        R"(","refresh_token":")" + refresh_value +
                        R"(","scope":"read_account list_calendars read_events","expires_at":"2026-11-28T02:02:03Z",)"
                        R"("account_id":"acc_5700a00eb0ccd07000000000","sub":"acc_5700a00eb0ccd07000000000",)"
                        R"("linking_profile":{"provider_name":"google","profile_id":"pro_n23kjnwrw2",)"
                        R"("profile_name":"someone@example.com"},)"
                        R"("extra":{"userinfo":{"sub":"acc_5700a00eb0ccd07000000000","email":"someone@example.com",)"
                        R"("cronofy.data":{"authorization":{"scope":"read_account"}}},"server_hint":7}})");
    CHECK(Credentials::from_json(stored) == c);
    CHECK(Credentials::from_json(Credentials::from_json(stored).to_json()).to_json() == stored);
}

TEST_CASE("stored credentials omit an unknown expiry, an absent profile and empty extras", "[credentials]") {
    Credentials c;
    c.access_token = Secret("a");
    c.sub = "acc_1";

    CHECK(c.to_json() ==
          R"({"format":1,"token_type":"bearer","access_token":"a","refresh_token":"","scope":"","account_id":"",)"
          R"("sub":"acc_1"})");
    CHECK(Credentials::from_json(c.to_json()) == c);
}

TEST_CASE("to_json refuses extra_json that is not a JSON object", "[credentials]") {
    Credentials c;
    c.access_token = Secret("a");
    c.extra_json = "[1,2]";

    CHECK(thrown_by<InvalidArgumentError>([&] { (void)c.to_json(); }).code() == ErrorCode::invalid_argument);
}

TEST_CASE("expires_in as a numeric string counts like the number", "[credentials]") {
    CHECK(expiry_for(R"("expires_in":"3600")") == requested_second + 3600s);
    CHECK(expiry_for(R"("expires_in":"3600.9")") == requested_second + 3600s);
    CHECK(expiry_for(R"("expires_in":3600.9)") == requested_second + 3600s);
}

TEST_CASE("a reply without expires_in leaves the expiry unknown", "[credentials]") {
    CHECK(expiry_for("") == std::nullopt);
    CHECK(expiry_for(R"("expires_in":null)") == std::nullopt);
    const Credentials c = Credentials::from_token_response(reply_with(""), requested_at);
    CHECK_FALSE(c.expires_within(requested_at + 3650 * 24h, 0s));
    CHECK(c.to_json().find("expires_at") == std::string::npos);
}

TEST_CASE("an absurd expires_in is clamped into [0, max_token_lifetime]", "[credentials]") {
    const WallTime latest = requested_second + max_token_lifetime;

    CHECK(expiry_for(R"("expires_in":-5)") == requested_second);
    CHECK(expiry_for(R"("expires_in":"-3600")") == requested_second);
    CHECK(expiry_for(R"("expires_in":-1e999)") == requested_second);
    CHECK(expiry_for(R"("expires_in":-9223372036854775808)") == requested_second);
    CHECK(expiry_for(R"("expires_in":0)") == requested_second);
    CHECK(expiry_for(R"("expires_in":1e-999)") == requested_second);

    CHECK(expiry_for(R"("expires_in":31622400)") == latest);  // exactly 366 days
    CHECK(expiry_for(R"("expires_in":31622401)") == latest);
    CHECK(expiry_for(R"("expires_in":18446744073709551615)") == latest);
    CHECK(expiry_for(R"("expires_in":99999999999999999999999)") == latest);
    CHECK(expiry_for(R"("expires_in":1e999)") == latest);
    CHECK(expiry_for(R"("expires_in":"1e999")") == latest);
}

TEST_CASE("an expiry near the end of the clock saturates instead of wrapping", "[credentials]") {
    const auto near_end = std::chrono::floor<std::chrono::seconds>(WallTime::max()) - 10s;
    const Credentials c = Credentials::from_token_response(reply_with(R"("expires_in":3600)"), near_end);

    CHECK(c.expires_at == WallTime::max());
}

TEST_CASE("a reply without refresh_token gives an empty one", "[credentials]") {
    const Credentials c = Credentials::from_token_response(reply_with(R"("expires_in":3600)"), requested_at);

    CHECK(c.refresh_token.empty());
    CHECK(c.token_type == "bearer");
    CHECK(c.scope.empty());
    CHECK(c.linking_profile == std::nullopt);
    CHECK(c.extra_json.empty());
}

TEST_CASE("an unusable token reply is a ProtocolError naming the field, never a token", "[credentials]") {
    struct Case {
        std::string reply;
        std::string names;
    };
    const Case cases[] = {
        {"not json", "token response: not valid JSON"},
        {"", "token response: not valid JSON"},
        {R"(["access_token"])", "token response: not a JSON object"},
        {"null", "token response: not a JSON object"},
        {R"({"token_type":"bearer"})", R"(token response: "access_token" is missing or empty)"},
        {R"({"access_token":""})", R"(token response: "access_token" is missing or empty)"},
        {R"({"access_token":42})", R"(token response: "access_token" is not a string)"},
        {reply_with(R"("expires_in":"soon")"), R"(token response: "expires_in" is a string that is not a number)"},
        {reply_with(R"("expires_in":"")"), R"(token response: "expires_in" is a string that is not a number)"},
        {reply_with(R"("expires_in":"nan")"), R"(token response: "expires_in" is a string that is not a number)"},
        {reply_with(R"("expires_in":true)"), R"(token response: "expires_in" is not a number)"},
        {reply_with(R"("expires_in":{"s":1})"), R"(token response: "expires_in" is not a number)"},
        {reply_with(R"("refresh_token":["x"])"), R"(token response: "refresh_token" is not a string)"},
        {reply_with(R"("scope":["read_events"])"), R"(token response: "scope" is not a string)"},
        {reply_with(R"("linking_profile":"google")"), R"(token response: "linking_profile" is not an object)"},
        {reply_with(R"("linking_profile":{"profile_id":7})"),
         R"(token response: "linking_profile.profile_id" is not a string)"},
    };
    for (const auto& [reply, names] : cases) {
        CAPTURE(reply);
        const ProtocolError e = token_reply_error(reply);
        CHECK(e.code() == ErrorCode::protocol);
        CHECK(std::string(e.what()).rfind(names, 0) == 0);
        CHECK(std::string(e.what()).find("ACCESS-") == std::string::npos);
    }
}

TEST_CASE("credentials stored by earlier tools (format 0, the raw reply) are read", "[credentials]") {
    const std::string unix_expiry = std::string(R"({"token_type":"bearer","access_token":")") + access_value +
                                    R"(","refresh_token":"r","expires_in":3600,"expires_at":1795827723,)"
                                    R"("scope":"read_events","account_id":"acc_1","userinfo":{"email":"a@b.c"}})";
    const Credentials c = Credentials::from_json(unix_expiry);

    CHECK(c.access_token.reveal() == access_value);
    CHECK(c.refresh_token.reveal() == "r");
    CHECK(c.scope == std::vector<std::string>{"read_events"});
    CHECK(c.expires_at == requested_second);  // 1795827723 is 2026-11-28T01:02:03Z
    CHECK(c.account_id == "acc_1");
    CHECK(c.extra_json == R"({"userinfo":{"email":"a@b.c"}})");

    SECTION("expires_in alone gives an unknown expiry: its start was not stored") {
        CHECK(Credentials::from_json(reply_with(R"("expires_in":3600)")).expires_at == std::nullopt);
    }
    SECTION("a fractional Unix expiry is floored") {
        CHECK(Credentials::from_json(reply_with(R"("expires_at":1795827723.9)")).expires_at == requested_second);
    }
    SECTION("an RFC 3339 expires_at is read too") {
        CHECK(Credentials::from_json(reply_with(R"("expires_at":"2026-11-28T01:02:03Z")")).expires_at ==
              requested_second);
    }
    SECTION("an explicit format 0 reads the same way") {
        CHECK(Credentials::from_json(R"({"format":0,"access_token":"a","expires_at":1795827723})").expires_at ==
              requested_second);
    }
    SECTION("written back, it is format 1") {
        CHECK(Credentials::from_json(c.to_json()) == c);
        CHECK(c.to_json().rfind(R"({"format":1,)", 0) == 0);
    }
}

TEST_CASE("credentials written by a newer calbridge are refused", "[credentials]") {
    const ProtocolError e = stored_error(R"({"format":2,"access_token":"a","something_new":{}})");

    CHECK(e.code() == ErrorCode::protocol);
    CHECK(std::string(e.what()) ==
          "stored credentials have format 2, written by a newer calbridge (this one reads up to format 1)");
}

TEST_CASE("unknown top-level keys of a format 1 document are kept in extra", "[credentials]") {
    const Credentials c =
        Credentials::from_json(R"({"format":1,"access_token":"a","extra":{"userinfo":{}},"added_later":true})");

    CHECK(c.extra_json == R"({"userinfo":{},"added_later":true})");
}

TEST_CASE("non-finite numbers in unknown fields are kept as null so the stored text stays JSON", "[credentials]") {
    const Credentials c = Credentials::from_token_response(reply_with(R"("weird":[1e999,-1e999,2])"), requested_at);

    CHECK(c.extra_json == R"({"weird":[null,null,2]})");
    CHECK(Credentials::from_json(c.to_json()) == c);
}

TEST_CASE("the most deeply nested reply the parser accepts can still be stored and read back", "[credentials]") {
    // Boost.JSON's default depth limit is 32: the reply object plus 31 levels in one field.
    const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
    CHECK_THROWS_AS(Credentials::from_token_response(reply_with(R"("deep":)" + nested(32)), requested_at),
                    ProtocolError);
    const Credentials c = Credentials::from_token_response(reply_with(R"("deep":)" + nested(31)), requested_at);

    CHECK(c.extra_json == R"({"deep":)" + nested(31) + "}");
    CHECK(Credentials::from_json(c.to_json()) == c);
}

TEST_CASE("unreadable stored credentials are a ProtocolError naming the problem", "[credentials]") {
    struct Case {
        std::string stored;
        std::string message;
    };
    const Case cases[] = {
        {"", "stored credentials: not valid JSON (incomplete JSON)"},
        {"not json", "stored credentials: not valid JSON (syntax error)"},
        {"{", "stored credentials: not valid JSON (incomplete JSON)"},
        {"null", "stored credentials: not a JSON object"},
        {R"(["format",1])", "stored credentials: not a JSON object"},
        {R"({"format":"1","access_token":"a"})", R"(stored credentials: "format" is not a format number)"},
        {R"({"format":-1,"access_token":"a"})", R"(stored credentials: "format" is not a format number)"},
        {R"({"format":1.5,"access_token":"a"})", R"(stored credentials: "format" is not a format number)"},
        {R"({"format":1})", R"(stored credentials: "access_token" is missing or empty)"},
        {R"({"format":1,"access_token":"a","expires_at":"tomorrow"})",
         R"(stored credentials: "expires_at" is not an RFC 3339 time)"},
        {R"({"format":1,"access_token":"a","expires_at":1795827723})",
         R"(stored credentials: "expires_at" is not a string)"},
        {R"({"format":1,"access_token":"a","extra":"x"})", R"(stored credentials: "extra" is not an object)"},
        {R"({"access_token":"a","expires_at":1e300})", R"(stored credentials: "expires_at" is out of range)"},
        {R"({"access_token":"a","expires_at":-1e999})", R"(stored credentials: "expires_at" is out of range)"},
        {R"({"access_token":"a","expires_at":18446744073709551615})",
         R"(stored credentials: "expires_at" is out of range)"},
        {R"({"access_token":"a","expires_at":true})", R"(stored credentials: "expires_at" is not a number)"},
    };
    for (const auto& [stored, message] : cases) {
        CAPTURE(stored);
        const ProtocolError e = stored_error(stored);
        CHECK(e.code() == ErrorCode::protocol);
        CHECK(std::string(e.what()) == message);
    }
}

TEST_CASE("expires_within compares the expiry with now plus the leeway", "[credentials]") {
    Credentials c;
    c.expires_at = requested_second + 3600s;

    CHECK_FALSE(c.expires_within(requested_second, 60s));
    CHECK_FALSE(c.expires_within(requested_second + 3539s, 60s));
    CHECK(c.expires_within(requested_second + 3540s, 60s));
    CHECK(c.expires_within(requested_second + 3600s, 0s));
    CHECK(c.expires_within(requested_second + 7200s, 0s));
    CHECK_FALSE(c.expires_within(WallTime::min(), 0s));
    CHECK(c.expires_within(WallTime::max(), std::chrono::seconds::max()));
    CHECK_FALSE(c.expires_within(WallTime::min(), std::chrono::seconds::min()));

    c.expires_at.reset();
    CHECK_FALSE(c.expires_within(WallTime::max(), std::chrono::seconds::max()));
}

TEST_CASE("account_key is account_id, else sub", "[credentials]") {
    Credentials c;
    c.sub = "acc_sub";
    CHECK(c.account_key() == "acc_sub");
    c.account_id = "acc_id";
    CHECK(c.account_key() == "acc_id");
}

TEST_CASE("printing credentials shows a redacted summary and never a token", "[credentials]") {
    Credentials c = Credentials::from_token_response(full_reply, requested_at);
    c.refresh_token = Secret("short-refresh");
    std::ostringstream out;
    out << c;

    CHECK(out.str() ==
          "Credentials{account=\"acc_5700a00eb0ccd07000000000\", token_type=bearer, "
          "scope=\"read_account list_calendars read_events\", expires_at=2026-11-28T02:02:03Z, "
          "access_token=\u2026MnOp, refresh_token=****}");
    CHECK(out.str().find(access_value) == std::string::npos);
    CHECK(out.str().find("short-refresh") == std::string::npos);
}

TEST_CASE("format_rfc3339 writes UTC with whole seconds", "[credentials][rfc3339]") {
    CHECK(format_rfc3339(WallTime{}) == "1970-01-01T00:00:00Z");
    CHECK(format_rfc3339(requested_at) == "2026-11-28T01:02:03Z");
    CHECK(format_rfc3339(WallTime{} - 1s) == "1969-12-31T23:59:59Z");
    CHECK(format_rfc3339(WallTime{} - 500ms) == "1969-12-31T23:59:59Z");  // floor, not truncation
    CHECK(format_rfc3339(sys_days{std::chrono::year{2024} / 2 / 29} + 23h + 59min + 59s) == "2024-02-29T23:59:59Z");
    CHECK(format_rfc3339(WallTime::max()) == "2262-04-11T23:47:16Z");
    CHECK(format_rfc3339(WallTime::min()) == "1677-09-21T00:12:43Z");
}

TEST_CASE("parse_rfc3339 reads Z, numeric offsets and fractional seconds", "[credentials][rfc3339]") {
    CHECK(parse_rfc3339("2026-11-28T01:02:03Z") == requested_second);
    CHECK(parse_rfc3339("2026-11-28t01:02:03z") == requested_second);
    CHECK(parse_rfc3339("2026-11-28T01:02:03.25Z") == requested_at);
    CHECK(parse_rfc3339("2026-11-28T01:02:03.250000000999Z") == requested_at);
    CHECK(parse_rfc3339("2026-11-28T02:32:03+01:30") == requested_second);
    CHECK(parse_rfc3339("2026-11-27T20:02:03-05:00") == requested_second);
    CHECK(parse_rfc3339("2026-11-28T01:02:03-00:00") == requested_second);
    CHECK(parse_rfc3339("2026-11-28T01:02:03.25+00:00") == requested_at);
    CHECK(parse_rfc3339("1969-12-31T23:59:59.5Z") == WallTime{} - 500ms);
    CHECK(parse_rfc3339("2016-12-31T23:59:60Z") == sys_days{std::chrono::year{2017} / 1 / 1});  // leap second
}

TEST_CASE("parse_rfc3339 reads back what format_rfc3339 wrote", "[credentials][rfc3339]") {
    for (const WallTime t : std::initializer_list<WallTime>{WallTime{}, requested_second, WallTime{} - 86401s,
                             sys_days{std::chrono::year{2000} / 2 / 29} + 12h,
                             std::chrono::floor<std::chrono::seconds>(WallTime::max()),
                             std::chrono::ceil<std::chrono::seconds>(WallTime::min())}) {
        CAPTURE(format_rfc3339(t));
        CHECK(parse_rfc3339(format_rfc3339(t)) == t);
    }
}

TEST_CASE("parse_rfc3339 rejects malformed or unrepresentable text", "[credentials][rfc3339]") {
    for (const char* text : {"", "2026-11-28", "2026-11-28T01:02:03", "2026-11-28 01:02:03Z", "2026-11-28T01:02Z",
                             "2026-11-28T1:02:03Z", "26-11-28T01:02:03Z", "2026-13-28T01:02:03Z",
                             "2026-00-28T01:02:03Z", "2026-02-29T01:02:03Z", "2026-04-31T01:02:03Z",
                             "2026-11-00T01:02:03Z", "2026-11-28T24:00:00Z", "2026-11-28T01:60:03Z",
                             "2026-11-28T01:02:61Z", "2026-11-28T01:02:03.Z", "2026-11-28T01:02:03+01",
                             "2026-11-28T01:02:03+0100", "2026-11-28T01:02:03+24:00", "2026-11-28T01:02:03+01:60",
                             "2026-11-28T01:02:03ZZ", "2026-11-28T01:02:03Z ", " 2026-11-28T01:02:03Z",
                             "2026-11-28T01:02:03UTC", "+2026-11-28T01:02:03Z", "2026-1a-28T01:02:03Z",
                             "9999-12-31T23:59:59Z", "1500-01-01T00:00:00Z", "2262-04-11T23:47:17Z",
                             "2262-04-11T23:47:16.9Z", "1677-09-21T00:12:43Z"}) {
        CAPTURE(text);
        CHECK(parse_rfc3339(text) == std::nullopt);
    }
}
