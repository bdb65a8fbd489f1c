// A string that must never be printed: tokens, the client secret, authorization codes, PKCE
// verifiers, state-signing keys. It has no implicit conversion to text; printing it shows the
// redacted form, and its memory is wiped when it is destroyed or overwritten.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace calbridge {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) noexcept : value_(std::move(value)) {}
    Secret(const Secret& other) : value_(other.value_) {}
    Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret() { wipe(); }

    // The secret itself. Named so that every use is easy to find in a review.
    const std::string& reveal() const noexcept { return value_; }

    // "…wxyz" (the last 4 characters) for secrets of 20 characters or more; "****" for shorter
    // ones, so that a short secret is not half given away; "" for an empty one.
    std::string redacted() const;

    bool empty() const noexcept { return value_.empty(); }
    std::size_t size() const noexcept { return value_.size(); }

    // Constant-time comparison (the time depends on the lengths only).
    friend bool operator==(const Secret& a, const Secret& b) noexcept;

private:
    void wipe() noexcept;
    std::string value_;
};

// Prints the redacted form, never the secret.
std::ostream& operator<<(std::ostream& os, const Secret& secret);

// Constant-time comparison of two byte strings (length leaks, content does not).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace calbridge
