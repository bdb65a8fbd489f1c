// ASCII case and character classes, whatever the process's locale: for protocol text (schemes,
// host names, header names, method tokens), never for user text. Internal to the core.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace calbridge::detail {

constexpr char ascii_lower(char ch) noexcept { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; }

constexpr bool is_ascii_alnum(char ch) noexcept {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

// `text` with A-Z lowered; every other byte as it is.
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char ch) { return ascii_lower(ch); });
    return out;
}

// Equal when lowered (header names, schemes, data center names).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace calbridge::detail
