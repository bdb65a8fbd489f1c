#include "util/crypto.hpp"

#include <calbridge/errors.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>

namespace calbridge::detail {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n > static_cast<std::size_t>(INT_MAX) ||
        RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw InternalError("the random number generator failed");
    }
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
    if (key.size() > static_cast<std::size_t>(INT_MAX) ||
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(),
             reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
        throw InternalError("HMAC-SHA256 failed");
    }
    out.resize(len);
    return out;
}

namespace {

constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// OpenSSL's EVP_EncodeBlock does the standard alphabet; the URL alphabet is a character map
// over it, which is all RFC 4648 §5 is.
std::string encode(std::string_view bytes, bool url) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                    reinterpret_cast<const unsigned char*>(bytes.data()),
                                    static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(len));
    if (url) {
        while (!out.empty() && out.back() == '=') out.pop_back();
        for (char& c : out) {
            if (c == '+') c = '-';
            else if (c == '/') c = '_';
        }
    }
    return out;
}

int url_value(char c) noexcept {
    for (int i = 0; i < 64; ++i) {
        if (url_alphabet[i] == c) return i;
    }
    return -1;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) { return encode(bytes, true); }
std::string base64_encode(std::string_view bytes) { return encode(bytes, false); }

std::optional<std::string> base64url_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned int acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = url_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned int>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
        }
    }
    // Leftover bits must be zero, or the text is not what an encoder would have produced.
    if (bits > 0 && (acc & ((1u << bits) - 1u)) != 0) return std::nullopt;
    return out;
}

void secure_wipe(void* p, std::size_t n) noexcept { OPENSSL_cleanse(p, n); }

}  // namespace calbridge::detail
