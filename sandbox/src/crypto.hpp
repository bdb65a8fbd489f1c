// Randomness, hashing and base64 from OpenSSL, behind a small std-only interface.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge::sandbox {

std::string random_bytes(std::size_t n);        // OpenSSL's CSPRNG; throws on failure
std::string random_token(std::size_t bytes = 32);  // base64url of `bytes` random bytes
std::string random_hex(std::size_t chars);       // lower-case hex, for ids such as acc_...

std::string sha256(std::string_view data);                        // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

std::string base64_encode(std::string_view bytes);     // RFC 4648 §4, padded
std::string base64url_encode(std::string_view bytes);  // RFC 4648 §5, no padding
std::optional<std::string> base64url_decode(std::string_view text);
std::optional<std::string> base64_decode(std::string_view text);  // RFC 4648 §4, padded

// Compares secrets without an early exit.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace calbridge::sandbox
