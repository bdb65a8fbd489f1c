#include <calbridge/secret.hpp>

#include "util/crypto.hpp"

#include <openssl/crypto.h>

#include <ostream>

namespace calbridge {

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

void Secret::wipe() noexcept {
    // Wipe the whole buffer (capacity, not size), including a small-string buffer.
    if (value_.capacity() > 0) {
        value_.resize(value_.capacity());
        detail::secure_wipe(value_.data(), value_.size());
    }
    value_.clear();
}

std::string Secret::redacted() const {
    if (value_.empty()) return {};
    if (value_.size() < 20) return "****";
    return "\u2026" + value_.substr(value_.size() - 4);
}

bool operator==(const Secret& a, const Secret& b) noexcept {
    return constant_time_equal(a.value_, b.value_);
}

std::ostream& operator<<(std::ostream& os, const Secret& secret) { return os << secret.redacted(); }

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace calbridge
