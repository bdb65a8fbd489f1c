// Push notifications: verify_push (the Cronofy-HMAC-SHA256 header against the raw body) and
// parse_push (the body).
//
// Input: "<signature header>\n<body>". Byte 0 of the header, when it is '!', is replaced by
// the body's real signature (so the fuzzer reaches parse_push past verification).
// Invariants: only calbridge errors; verification fails for a header that does not carry the
// real signature of the body among its first max_push_signature_values values, succeeds when
// the real one is the only value; no message names the secret or the expected signature;
// parse_push and verify_and_parse_push agree.
#include "fuzz_support.hpp"

#include "util/crypto.hpp"

#include <calbridge/push.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace calbridge;

const Secret& secret() {
    static const Secret s("MARKERpushSecret0123456789");
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    std::string header = nl == std::string::npos ? input : input.substr(0, nl);
    const std::string body = nl == std::string::npos ? std::string() : input.substr(nl + 1);
    const std::string expected = detail::base64_encode(detail::hmac_sha256(secret().reveal(), body));
    if (!header.empty() && header.front() == '!') header = expected + header.substr(1);

    bool verified = false;
    try {
        verify_push(header, body, std::vector<Secret>{Secret("other-secret-for-rotation"), secret()});
        verified = true;
    } catch (const InvalidSignatureError& e) {
        fuzz::check(!fuzz::contains(e.what(), secret().reveal()), "the secret in a message", e.what());
        fuzz::check(!fuzz::contains(e.what(), expected), "the expected signature in a message", e.what());
    } catch (const std::exception& e) {
        fuzz::fail("verify_push threw something else than InvalidSignatureError", e.what());
    }
    if (verified) fuzz::check(fuzz::contains(header, expected), "verified without the real signature", header);
    if (header == expected) fuzz::check(verified, "the real signature alone is refused", header);

    std::optional<PushNotification> parsed;
    fuzz::expect_only_calbridge_errors([&] {
        parsed = parse_push(body);
        fuzz::check(parsed->raw_json == body, "raw_json is the body");
        fuzz::check(parsed->type == PushType::unknown || push_type_name(parsed->type) == parsed->type_name,
                    "a known type keeps its name");
    });
    fuzz::expect_only_calbridge_errors([&] {
        try {
            const PushNotification p = verify_and_parse_push(header, body, secret());
            fuzz::check(verified && parsed.has_value(), "verify_and_parse_push accepted what the parts refuse");
            fuzz::check(p.type == parsed->type && p.type_name == parsed->type_name &&
                            p.changes_since == parsed->changes_since,
                        "verify_and_parse_push reads as parse_push");
        } catch (const InvalidSignatureError&) {
            fuzz::check(!verified, "verify_and_parse_push refused a signature verify_push accepted");
        } catch (const ProtocolError&) {
            fuzz::check(!parsed.has_value(), "verify_and_parse_push refused a body parse_push read");
        }
    });
    return 0;
}
