// A short, readable excerpt of a reply body for an error message. Internal to the core.
#pragma once

#include "log/redactor.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace calbridge::detail {

inline constexpr std::size_t default_excerpt_length = 120;

// What a person needs to recognise the reply ("502 Bad Gateway nginx"), and nothing a secret
// could hide in: HTML tags, comments, scripts and styles dropped, the common entities decoded,
// whitespace collapsed, known secrets scrubbed (before, and again after decoding, which could
// reassemble one), invalid UTF-8 and control characters replaced, and cut to at most
// `max_length` bytes at a character boundary ("..." appended). "" for an empty body.
std::string body_excerpt(std::string_view body, const Redactor& redactor,
                         std::size_t max_length = default_excerpt_length);

}  // namespace calbridge::detail
