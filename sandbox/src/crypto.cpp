#include "crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace calbridge::sandbox {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("OpenSSL's random generator failed");
    }
    return out;
}

std::string random_token(std::size_t bytes) { return base64url_encode(random_bytes(bytes)); }

std::string random_hex(std::size_t chars) {
    static constexpr char digits[] = "0123456789abcdef";
    const std::string bytes = random_bytes((chars + 1) / 2);
    std::string out;
    out.reserve(chars);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    out.resize(chars);
    return out;
}

std::string sha256(std::string_view data) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(),
             reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    out.resize(len);
    return out;
}

namespace {

std::string base64_encode_padded(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return base64_encode_padded(bytes); }

std::string base64url_encode(std::string_view bytes) {
    std::string s = base64_encode_padded(bytes);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (char& c : s) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return s;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // EVP_DecodeBlock skips white space and reports padding as zero bytes: check the alphabet
    // and the padding here, then trim what the padding added.
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
    for (std::size_t i = 0; i + padding < text.size(); ++i) {
        if (!is_base64_char(text[i])) return std::nullopt;
    }
    if (text.empty()) return std::string();
    std::string out(3 * text.size() / 4, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0 || static_cast<std::size_t>(n) < padding) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string s;
    s.reserve(text.size() + 3);
    for (char c : text) {
        if (c == '-') s += '+';
        else if (c == '_') s += '/';
        else if (c == '+' || c == '/' || c == '=') return std::nullopt;
        else s += c;
    }
    while (s.size() % 4 != 0) s += '=';
    return base64_decode(s);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace calbridge::sandbox
