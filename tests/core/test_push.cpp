// Push notifications: verifying the Cronofy-HMAC-SHA256 header and reading the body.
//
// The signatures below were computed independently of calbridge, with Python's hmac module
// while writing this test:
//   base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
#include "support/catch.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/push.hpp>
#include <calbridge/credentials.hpp>

#include <string>
#include <vector>

using namespace calbridge;

namespace {

const std::string body =
    R"({"notification":{"type":"change","changes_since":"2026-12-01T09:00:00Z"},)"
    R"("channel":{"channel_id":"chn_1","callback_url":"https://example.com/push","filters":{}}})";
const Secret current{"cs-current-secret"};
const Secret previous{"cs-previous-secret"};
// hmac.new(b"cs-current-secret", body, sha256), hmac.new(b"cs-previous-secret", body, sha256)
const std::string current_signature = "2nqhijdNFN7JDc8GGhtr27UBnwfsAKHwxp962CYaMwU=";
const std::string previous_signature = "aMbpzhXcrLR4fKGb9UTEqWS2BjKqwBarqr6pPcSR/+U=";

template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("no exception of the expected type");
    return {};
}

}  // namespace

TEST_CASE("verify_push accepts the known vector", "[push]") {
    CHECK_NOTHROW(verify_push(current_signature, body, current));
    CHECK_NOTHROW(verify_push(previous_signature, body, previous));
    CHECK_NOTHROW(verify_push("  " + current_signature + "\t", body, current));
    // Padding left out is the same signature.
    CHECK_NOTHROW(verify_push(current_signature.substr(0, 43), body, current));
}

TEST_CASE("verify_push: two values where only the second matches", "[push]") {
    CHECK_NOTHROW(verify_push(previous_signature + ", " + current_signature, body, current));
    CHECK_NOTHROW(verify_push("garbage," + current_signature, body, current));
    // Several secrets: any value may match any secret.
    CHECK_NOTHROW(verify_push(previous_signature, body, std::vector<Secret>{current, previous}));
    CHECK_NOTHROW(verify_push(current_signature, body, std::vector<Secret>{previous, current}));
}

TEST_CASE("verify_push rejects a tampered body and a wrong secret", "[push]") {
    std::string tampered = body;
    tampered[tampered.find("change")] = 'C';
    CHECK_THROWS_AS(verify_push(current_signature, tampered, current), InvalidSignatureError);
    CHECK_THROWS_AS(verify_push(current_signature, body + " ", current), InvalidSignatureError);
    CHECK_THROWS_AS(verify_push(current_signature, body, previous), InvalidSignatureError);
    CHECK_THROWS_AS(verify_push(current_signature, body, Secret("cs-current-secreT")), InvalidSignatureError);
    const auto message = message_of<InvalidSignatureError>([] { verify_push(previous_signature, body, current); });
    CHECK(message == "push signature: no signature in the Cronofy-HMAC-SHA256 header matches");
}

TEST_CASE("verify_push rejects missing and malformed headers with a typed error", "[push]") {
    for (const std::string& header : {std::string(), std::string("   "), std::string(","), std::string(" , ,"),
                                     std::string("not-base64!"), current_signature + "A",
                                     current_signature.substr(0, 40), std::string(44, '='),
                                     std::string("sha256=") + current_signature}) {
        INFO(header);
        CHECK_THROWS_AS(verify_push(header, body, current), InvalidSignatureError);
    }
    CHECK(message_of<InvalidSignatureError>([] { verify_push("", body, current); }) ==
          "push signature: the Cronofy-HMAC-SHA256 header is missing or empty");
    CHECK(message_of<InvalidSignatureError>([] { verify_push("x,y", body, current); }) ==
          "push signature: the Cronofy-HMAC-SHA256 header holds no well-formed signature");
    // The error is an Error with its own code.
    try {
        verify_push("", body, current);
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::invalid_signature);
    }
}

TEST_CASE("verify_push bounds the work of hostile headers", "[push]") {
    // 10,000 commas, with or without a valid value after them: longer than the limit.
    CHECK_THROWS_AS(verify_push(std::string(10'000, ','), body, current), InvalidSignatureError);
    CHECK_THROWS_AS(verify_push(std::string(10'000, ',') + current_signature, body, current), InvalidSignatureError);
    // A huge value.
    CHECK_THROWS_AS(verify_push(std::string(1 << 20, 'A'), body, current), InvalidSignatureError);
    // Within the length limit, only the first max_push_signature_values values are compared.
    std::string many;
    for (std::size_t i = 0; i < max_push_signature_values; ++i) many += previous_signature + ",";
    CHECK_THROWS_AS(verify_push(many + current_signature, body, current), InvalidSignatureError);
    many.clear();
    for (std::size_t i = 0; i + 1 < max_push_signature_values; ++i) many += previous_signature + ",";
    CHECK_NOTHROW(verify_push(many + current_signature, body, current));
    // Empty values between commas are not counted.
    CHECK_NOTHROW(verify_push(std::string(200, ',') + current_signature, body, current));
}

TEST_CASE("verify_push over a 10 MiB body", "[push]") {
    const std::string big(10 * 1024 * 1024, 'x');
    // hmac.new(b"cs-current-secret", b"x" * (10 * 1024 * 1024), sha256)
    CHECK_NOTHROW(verify_push("06xjRgZwnlPW4GwNVRKCrpTnvu20iK41vmmo2+a2HG4=", big, current));
    CHECK_THROWS_AS(verify_push(current_signature, big, current), InvalidSignatureError);
}

TEST_CASE("verify_push needs a secret and never names one", "[push]") {
    CHECK_THROWS_AS(verify_push(current_signature, body, std::vector<Secret>{}), InvalidArgumentError);
    CHECK_THROWS_AS(verify_push(current_signature, body, Secret()), InvalidArgumentError);
    for (const std::string& header : {std::string(), previous_signature, std::string("x")}) {
        const auto message = message_of<InvalidSignatureError>([&] { verify_push(header, body, current); });
        CHECK(message.find(current.reveal()) == std::string::npos);
        CHECK(message.find(current_signature.substr(0, 20)) == std::string::npos);
    }
}

TEST_CASE("parse_push reads every notification type", "[push]") {
    const auto n = parse_push(body);
    CHECK(n.type == PushType::change);
    CHECK(n.type_name == "change");
    REQUIRE(n.changes_since.has_value());
    CHECK(format_rfc3339(*n.changes_since) == "2026-12-01T09:00:00Z");
    REQUIRE(n.channel.has_value());
    CHECK(n.channel->channel_id == "chn_1");
    CHECK(n.channel->callback_url == "https://example.com/push");
    CHECK(n.channel->filters == ChannelFilters{});
    CHECK(n.raw_json == body);

    const std::vector<std::pair<std::string, PushType>> types = {
        {"verification", PushType::verification},
        {"change", PushType::change},
        {"profile_disconnected", PushType::profile_disconnected},
        {"profile_initial_sync_required", PushType::profile_initial_sync_required},
    };
    for (const auto& [name, type] : types) {
        const auto p = parse_push(R"({"notification":{"type":")" + name + R"("}})");
        CHECK(p.type == type);
        CHECK(p.type_name == name);
        CHECK(push_type_name(type) == name);
        CHECK_FALSE(p.changes_since.has_value());
        CHECK_FALSE(p.channel.has_value());
    }
}

TEST_CASE("parse_push keeps an unknown type and the channel's filters", "[push]") {
    const auto n = parse_push(
        R"({"notification":{"type":"calendar_moved","extra":1},"channel":{"channel_id":"chn_2",)"
        R"("callback_url":"http://127.0.0.1:8000/cb","filters":{"calendar_ids":["cal_1","cal_2"],"only_managed":true}}})");
    CHECK(n.type == PushType::unknown);
    CHECK(n.type_name == "calendar_moved");
    CHECK(push_type_name(n.type) == "unknown");
    REQUIRE(n.channel.has_value());
    CHECK(n.channel->filters.calendar_ids == std::vector<std::string>{"cal_1", "cal_2"});
    CHECK(n.channel->filters.only_managed == std::optional<bool>(true));
    CHECK(n.channel->raw_json.find(R"("channel_id":"chn_2")") != std::string::npos);
}

TEST_CASE("parse_push: a malformed body is a ProtocolError", "[push]") {
    for (const std::string& bad : {std::string(), std::string("{"), std::string("[]"), std::string("{}"),
                                  std::string(R"({"notification":1})"), std::string(R"({"notification":{}})"),
                                  std::string(R"({"notification":{"type":3}})"),
                                  std::string(R"({"notification":{"type":"change","changes_since":"yesterday"}})"),
                                  std::string(R"({"notification":{"type":"change","changes_since":5}})")}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_push(bad), ProtocolError);
    }
}

TEST_CASE("verify_and_parse_push verifies before it reads", "[push]") {
    CHECK(verify_and_parse_push(current_signature, body, current).type == PushType::change);
    CHECK(verify_and_parse_push(previous_signature, body, std::vector<Secret>{current, previous}).type ==
          PushType::change);
    // A forged body that is not even JSON fails on the signature, not the parse.
    CHECK_THROWS_AS(verify_and_parse_push(current_signature, "{", current), InvalidSignatureError);
}

TEST_CASE("channel callback URLs are checked before anything is sent", "[push]") {
    CHECK_NOTHROW(check_channel_callback_url("https://example.com/push"));
    CHECK_NOTHROW(check_channel_callback_url("http://127.0.0.1:8080/push"));
    CHECK_NOTHROW(check_channel_callback_url("http://localhost/push"));
    CHECK_NOTHROW(check_channel_callback_url("http://[::1]:9/push"));
    CHECK_NOTHROW(check_channel_callback_url("https://example.com/" + std::string(108, 'a')));  // 128
    for (const std::string& bad : {std::string(), std::string("example.com/push"), std::string("http://example.com/push"),
                                  std::string("ftp://example.com/push"), std::string("http://127.0.0.1.evil.com/x"),
                                  "https://example.com/" + std::string(109, 'a')}) {
        INFO(bad);
        CHECK_THROWS_AS(check_channel_callback_url(bad), InvalidArgumentError);
    }
}
