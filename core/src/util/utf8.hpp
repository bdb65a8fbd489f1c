// UTF-8 checks for text that came from outside (a server, a browser's redirect) on its way into
// an exception: every surface decodes messages as UTF-8 (Python's str, for one), so they must
// be valid. Internal to the core.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace calbridge::detail {

// Length of the valid UTF-8 sequence starting at `pos` (0 when invalid: a stray continuation
// byte, an overlong or surrogate form, a code point above U+10FFFF, a sequence cut short).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept;

// `text` with each byte that does not start a valid sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace calbridge::detail
