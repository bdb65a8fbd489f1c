// OpenSSL behind a small, Boost- and OpenSSL-free interface: randomness, hashing, HMAC and
// base64url. Internal to the core.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge::detail {

// `n` bytes from OpenSSL's CSPRNG. Throws InternalError if the generator fails.
std::string random_bytes(std::size_t n);

std::string sha256(std::string_view data);  // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

// RFC 4648 §5 without padding.
std::string base64url_encode(std::string_view bytes);
// Accepts input with or without '=' padding; std::nullopt on any other character or a
// length no encoder produces.
std::optional<std::string> base64url_decode(std::string_view text);

// Standard base64 (RFC 4648 §4) with padding, e.g. for HTTP Basic credentials.
std::string base64_encode(std::string_view bytes);

// Zeroes memory in a way the optimiser cannot remove.
void secure_wipe(void* p, std::size_t n) noexcept;

}  // namespace calbridge::detail
