// Signed, expiring states: what verify() accepts, and each way it refuses.
#include "support/catch.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include "util/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>

using namespace calbridge;
using namespace std::chrono_literals;

namespace {

const WallTime t0{std::chrono::seconds(1'700'000'000)};

// A wall clock that moves only when told to.
class FakeClock {
public:
    WallClock clock() const {
        return [now = now_] { return *now; };
    }
    void advance(std::chrono::seconds by) { *now_ += by; }

private:
    std::shared_ptr<WallTime> now_ = std::make_shared<WallTime>(t0);
};

Secret key_of(char c, std::size_t size = 32) { return Secret(std::string(size, c)); }

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

// `s` with the character at `i` replaced by another base64url character.
std::string flipped(std::string s, std::size_t i) {
    s[i] = s[i] == 'A' ? 'B' : 'A';
    return s;
}

std::string payload_part(const std::string& state) { return state.substr(0, state.find('.')); }
std::string mac_part(const std::string& state) { return state.substr(state.find('.') + 1); }

const std::string malformed_shape = "state is malformed: expected <payload>.<signature>";
const std::string malformed_base64 = "state is malformed: not base64url";
const std::string tampered = "state signature does not match: the state was altered or signed with another key";
const std::string wrong_binding = "state was issued for another binding (e.g. another user's session)";
const std::string expired = "state has expired";

}  // namespace

TEST_CASE("signed state: a fresh state verifies and returns its app_data and expiry", "[authorize]") {
    FakeClock clock;
    const StateSigner signer(key_of('k'), clock.clock());
    const std::string state = signer.issue("session-hash", 600s, "return_to=/calendar");

    const auto verified = signer.verify(state, "session-hash");
    CHECK(verified.app_data == "return_to=/calendar");
    CHECK(verified.expires_at == t0 + 600s);
    CHECK(signer.verify(state, "session-hash").app_data == "return_to=/calendar");  // not single use
}

TEST_CASE("signed state: app_data defaults to empty and may hold any bytes", "[authorize]") {
    const StateSigner signer(key_of('k'));
    CHECK(signer.verify(signer.issue("b", 60s), "b").app_data.empty());
    const std::string binary("a.b\0c\xFF=+/", 9);
    CHECK(signer.verify(signer.issue("b", 60s, binary), "b").app_data == binary);
}

TEST_CASE("signed state: is printable base64url with one dot, fresh each time", "[authorize]") {
    const StateSigner signer(key_of('k'));
    const std::string a = signer.issue("b", 60s, "x");
    const std::string b = signer.issue("b", 60s, "x");
    CHECK(a != b);  // the nonce
    CHECK(std::count(a.begin(), a.end(), '.') == 1);
    CHECK(std::all_of(a.begin(), a.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    }));
    CHECK(detail::base64url_decode(mac_part(a))->size() == 32);
}

TEST_CASE("signed state: the binding cannot be read from the state", "[authorize]") {
    const StateSigner signer(key_of('k'));
    const std::string binding = "the-users-session-id-0123456789";
    const std::string state = signer.issue(binding, 60s, "readable app data");
    const auto payload = detail::base64url_decode(payload_part(state));
    REQUIRE(payload);
    CHECK(payload->find(binding) == std::string::npos);
    CHECK(payload->find(detail::sha256(binding)) == std::string::npos);
    CHECK(payload->find("readable app data") != std::string::npos);  // signed, not encrypted
    CHECK(state.find(detail::base64url_encode(binding)) == std::string::npos);
}

TEST_CASE("signed state: expires at issue time plus lifetime, by the injected clock", "[authorize]") {
    FakeClock clock;
    const StateSigner signer(key_of('k'), clock.clock());
    const std::string state = signer.issue("b", 300s);

    clock.advance(299s);
    CHECK_NOTHROW(signer.verify(state, "b"));
    clock.advance(1s);
    auto e = error_from([&] { signer.verify(state, "b"); });
    CHECK(e.code() == ErrorCode::state_mismatch);
    CHECK(std::string(e.what()) == expired);
    CHECK_THROWS_AS(signer.verify(state, "b"), StateMismatchError);
}

TEST_CASE("signed state: an altered payload or signature is refused as tampered", "[authorize]") {
    const StateSigner signer(key_of('k'));
    const std::string state = signer.issue("b", 60s, "app");
    const std::string payload = payload_part(state);
    const std::string mac = mac_part(state);

    for (const std::string& altered : {flipped(payload, 10) + "." + mac, payload + "." + flipped(mac, 5)}) {
        INFO(altered);
        const auto e = error_from([&] { signer.verify(altered, "b"); });
        CHECK(e.code() == ErrorCode::state_mismatch);
        CHECK(std::string(e.what()) == tampered);
    }

    // New app_data under the old signature.
    auto bytes = *detail::base64url_decode(payload);
    bytes.replace(bytes.size() - 3, 3, "APP");
    const auto e = error_from([&] { signer.verify(detail::base64url_encode(bytes) + "." + mac, "b"); });
    CHECK(std::string(e.what()) == tampered);
}

TEST_CASE("signed state: a state signed with another key is refused as tampered", "[authorize]") {
    const StateSigner ours(key_of('k'));
    const StateSigner theirs(key_of('K'));
    const auto e = error_from([&] { ours.verify(theirs.issue("b", 60s), "b"); });
    CHECK(e.code() == ErrorCode::state_mismatch);
    CHECK(std::string(e.what()) == tampered);
}

TEST_CASE("signed state: a state issued for another binding is refused", "[authorize]") {
    const StateSigner signer(key_of('k'));
    const std::string state = signer.issue("alice-session", 60s);
    for (const char* other : {"mallory-session", "alice-sessio", "alice-session ", ""}) {
        INFO(other);
        const auto e = error_from([&] { signer.verify(state, other); });
        CHECK(e.code() == ErrorCode::state_mismatch);
        CHECK(std::string(e.what()) == wrong_binding);
    }
}

TEST_CASE("signed state: malformed states are refused as malformed", "[authorize]") {
    const StateSigner signer(key_of('k'));
    const std::string state = signer.issue("b", 60s);
    const std::string mac = mac_part(state);

    const auto refuses = [&](const std::string& input, const std::string& message) {
        INFO(input);
        const auto e = error_from([&] { signer.verify(input, "b"); });
        CHECK(e.code() == ErrorCode::state_mismatch);
        CHECK(std::string(e.what()) == message);
    };
    refuses("", malformed_shape);
    refuses(payload_part(state) + mac, malformed_shape);
    refuses("!!!!." + mac, malformed_base64);
    refuses(payload_part(state) + ".+/+/", malformed_base64);
    refuses(state + ".x", malformed_base64);
    refuses(payload_part(state) + "." + mac.substr(0, 40), "state is malformed: signature has the wrong length");
    refuses(detail::base64url_encode(std::string(40, '\1')) + "." + mac, "state is malformed: too short");

    auto bytes = *detail::base64url_decode(payload_part(state));
    bytes[0] = '\2';
    refuses(detail::base64url_encode(bytes) + "." + mac, "state is malformed: unknown version");
}

TEST_CASE("signed state: each refusal has its own message", "[authorize]") {
    const std::set<std::string> messages{malformed_shape, malformed_base64, tampered, wrong_binding, expired};
    CHECK(messages.size() == 5);
}

TEST_CASE("signed state: a key shorter than 32 bytes is an InvalidArgumentError", "[authorize]") {
    const auto e = error_from([] { StateSigner signer(key_of('k', 31)); });
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK(std::string(e.what()) == "state signing key must be at least 32 bytes");
    CHECK_THROWS_AS(StateSigner(Secret()), InvalidArgumentError);
    CHECK_NOTHROW(StateSigner(key_of('k', 32)));
}

TEST_CASE("signed state: an empty binding or a non-positive lifetime is an InvalidArgumentError", "[authorize]") {
    const StateSigner signer(key_of('k'));
    auto e = error_from([&] { signer.issue("", 60s); });
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK(std::string(e.what()) == "state binding is empty");

    for (const auto lifetime : {0s, -1s}) {
        e = error_from([&] { signer.issue("b", lifetime); });
        CHECK(e.code() == ErrorCode::invalid_argument);
        CHECK(std::string(e.what()) == "state lifetime must be positive");
    }
    e = error_from([&] { signer.issue("b", std::chrono::seconds::max()); });
    CHECK(std::string(e.what()) == "state lifetime is too long");
}
