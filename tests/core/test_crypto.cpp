#include "support/catch.hpp"

#include "util/crypto.hpp"

using namespace calbridge::detail;

namespace {
std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}
}  // namespace

TEST_CASE("base64url follows RFC 4648 section 10 without padding", "[crypto]") {
    CHECK(base64url_encode("") == "");
    CHECK(base64url_encode("f") == "Zg");
    CHECK(base64url_encode("fo") == "Zm8");
    CHECK(base64url_encode("foo") == "Zm9v");
    CHECK(base64url_encode("foob") == "Zm9vYg");
    CHECK(base64url_encode("fooba") == "Zm9vYmE");
    CHECK(base64url_encode("foobar") == "Zm9vYmFy");
    CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");  // the two characters that differ from base64
    CHECK(base64_encode("\xfb\xff\xbf") == "+/+/");
    CHECK(base64_encode("fo") == "Zm8=");
}

TEST_CASE("base64url decoding round-trips and rejects what no encoder writes", "[crypto]") {
    for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff\xbf\x00\x01"}) {
        CHECK(base64url_decode(base64url_encode(s)) == s);
    }
    CHECK(base64url_decode("Zm8=") == std::string("fo"));  // padding tolerated
    CHECK_FALSE(base64url_decode("Zm9v+").has_value());  // standard alphabet is not url
    CHECK_FALSE(base64url_decode("Z").has_value());      // impossible length
    CHECK_FALSE(base64url_decode("Zm9").has_value());    // "fo" is "Zm8": leftover bits set
    CHECK_FALSE(base64url_decode("Zn").has_value());     // non-zero leftover bits
    CHECK_FALSE(base64url_decode("Zm 9v").has_value());
}

TEST_CASE("SHA-256 and HMAC-SHA256 match published vectors", "[crypto]") {
    CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2.
    CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("random bytes have the asked length and differ between calls", "[crypto]") {
    const auto a = random_bytes(16);
    const auto b = random_bytes(16);
    CHECK(a.size() == 16);
    CHECK(a != b);
    CHECK(random_bytes(0).empty());
}
