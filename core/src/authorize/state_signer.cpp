// Signed, expiring states for applications that keep no server-side session state.
//
// Format (version 1): base64url(payload) "." base64url(mac), where
//
//   payload     = version (1 byte, 0x01) || nonce (16 bytes) || expiry (8 bytes, big-endian
//                 two's-complement unix seconds) || binding_tag (16 bytes) || app_data (rest)
//   binding_tag = HMAC-SHA256(key, lp("calbridge-state-v1/binding") || lp(nonce) || lp(binding))
//                 truncated to 16 bytes
//   mac         = HMAC-SHA256(key, lp("calbridge-state-v1/mac") || lp(payload))
//
// and lp(x) is x preceded by its length as 8 bytes big-endian, so no field boundary can move.
// The labels keep the two uses of the one key apart. The binding itself never travels, only
// its keyed tag: a state leaked through a log or a Referer does not give away, or let anyone
// test guesses of, a session identifier. Keeping the tag separate from the mac is what lets
// verify() tell an altered state from one issued for another binding.
#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>

#include "util/crypto.hpp"

#include <cstdint>
#include <initializer_list>
#include <limits>

namespace calbridge {

namespace {

constexpr std::size_t min_key_size = 32;  // the HMAC-SHA256 output size; shorter keys weaken it

constexpr char format_version = 1;
constexpr std::size_t nonce_size = 16;
constexpr std::size_t expiry_size = 8;
constexpr std::size_t binding_tag_size = 16;  // 128 bits: a truncated HMAC, NIST SP 800-107
constexpr std::size_t fixed_payload_size = 1 + nonce_size + expiry_size + binding_tag_size;
constexpr std::size_t mac_size = 32;

constexpr std::string_view mac_label = "calbridge-state-v1/mac";
constexpr std::string_view binding_label = "calbridge-state-v1/binding";

struct Payload {
    std::string nonce;
    std::int64_t expiry = 0;  // unix seconds
    std::string binding_tag;
    std::string app_data;
};

void append_u64(std::string& out, std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xFFu));
}

std::uint64_t read_u64(std::string_view bytes) {
    std::uint64_t value = 0;
    for (char c : bytes.substr(0, 8)) value = (value << 8) | static_cast<unsigned char>(c);
    return value;
}

// The MAC input: each field length-prefixed. Held in a Secret because it may contain the
// binding (e.g. a session identifier).
Secret mac_input(std::initializer_list<std::string_view> fields) {
    std::string out;
    for (std::string_view field : fields) {
        append_u64(out, field.size());
        out.append(field);
    }
    return Secret(std::move(out));
}

std::string compute_mac(const Secret& key, std::string_view payload) {
    return detail::hmac_sha256(key.reveal(), mac_input({mac_label, payload}).reveal());
}

std::string compute_binding_tag(const Secret& key, std::string_view nonce, std::string_view binding) {
    return detail::hmac_sha256(key.reveal(), mac_input({binding_label, nonce, binding}).reveal())
        .substr(0, binding_tag_size);
}

std::string encode_payload(const Payload& p) {
    std::string out;
    out.reserve(fixed_payload_size + p.app_data.size());
    out.push_back(format_version);
    out += p.nonce;
    append_u64(out, static_cast<std::uint64_t>(p.expiry));
    out += p.binding_tag;
    out += p.app_data;
    return out;
}

// The range of unix seconds a WallTime can hold (about ±292 years with libstdc++'s ns clock).
constexpr std::int64_t max_wall_seconds =
    std::chrono::floor<std::chrono::seconds>(WallTime::max().time_since_epoch()).count();
constexpr std::int64_t min_wall_seconds =
    std::chrono::ceil<std::chrono::seconds>(WallTime::min().time_since_epoch()).count();

[[noreturn]] void throw_malformed(std::string_view why) {
    throw StateMismatchError("state is malformed: " + std::string(why));
}

Payload decode_payload(std::string_view bytes) {
    if (bytes.size() < fixed_payload_size) throw_malformed("too short");
    if (bytes[0] != format_version) throw_malformed("unknown version");
    Payload p;
    p.nonce = bytes.substr(1, nonce_size);
    p.expiry = static_cast<std::int64_t>(read_u64(bytes.substr(1 + nonce_size, expiry_size)));
    p.binding_tag = bytes.substr(1 + nonce_size + expiry_size, binding_tag_size);
    p.app_data = bytes.substr(fixed_payload_size);
    // Only issue() writes expiries, always within range; checked so that no input can overflow
    // the conversion to WallTime.
    if (p.expiry < min_wall_seconds || p.expiry > max_wall_seconds) throw_malformed("expiry out of range");
    return p;
}

std::int64_t unix_seconds(WallTime t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t expiry_after(WallTime now, std::chrono::seconds lifetime) {
    if (lifetime.count() <= 0) throw InvalidArgumentError("state lifetime must be positive");
    const std::int64_t start = unix_seconds(now);
    if (lifetime.count() > max_wall_seconds - start) throw InvalidArgumentError("state lifetime is too long");
    return start + lifetime.count();
}

}  // namespace

StateSigner::StateSigner(Secret key, WallClock clock) : key_(std::move(key)), clock_(std::move(clock)) {
    if (key_.size() < min_key_size) throw InvalidArgumentError("state signing key must be at least 32 bytes");
    if (!clock_) throw InvalidArgumentError("state signer clock is empty");
}

std::string StateSigner::issue(std::string_view binding, std::chrono::seconds lifetime,
                               std::string_view app_data) const {
    if (binding.empty()) throw InvalidArgumentError("state binding is empty");
    Payload p;
    p.expiry = expiry_after(clock_(), lifetime);
    p.nonce = detail::random_bytes(nonce_size);
    p.binding_tag = compute_binding_tag(key_, p.nonce, binding);
    p.app_data = std::string(app_data);
    const std::string payload = encode_payload(p);
    return detail::base64url_encode(payload) + '.' + detail::base64url_encode(compute_mac(key_, payload));
}

StateSigner::Verified StateSigner::verify(std::string_view state, std::string_view binding) const {
    const std::size_t dot = state.find('.');
    if (dot == std::string_view::npos) throw_malformed("expected <payload>.<signature>");
    // A second '.' is not in the base64url alphabet, so it fails to decode here.
    const auto payload_bytes = detail::base64url_decode(state.substr(0, dot));
    const auto mac = detail::base64url_decode(state.substr(dot + 1));
    if (!payload_bytes || !mac) throw_malformed("not base64url");
    if (mac->size() != mac_size) throw_malformed("signature has the wrong length");
    Payload p = decode_payload(*payload_bytes);

    // Authenticity first: nothing in the payload means anything until the mac matches.
    if (!constant_time_equal(*mac, compute_mac(key_, *payload_bytes))) {
        throw StateMismatchError("state signature does not match: the state was altered or signed with another key");
    }
    if (!constant_time_equal(p.binding_tag, compute_binding_tag(key_, p.nonce, binding))) {
        throw StateMismatchError("state was issued for another binding (e.g. another user's session)");
    }
    const WallTime expires_at{std::chrono::seconds(p.expiry)};
    if (clock_() >= expires_at) throw StateMismatchError("state has expired");
    return Verified{std::move(p.app_data), expires_at};
}

}  // namespace calbridge
