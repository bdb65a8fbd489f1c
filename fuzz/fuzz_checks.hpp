// Invariant checks every fuzz target shares: a broken one stops the run with a message, and
// libFuzzer saves the input as a crash. No calbridge header: the sandbox's target uses it too.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace calbridge::fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
    std::fprintf(stderr, "\nINVARIANT BROKEN: %.*s\n", static_cast<int>(what.size()), what.data());
    if (!detail.empty()) std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
    if (!ok) fail(what, detail);
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}

// A secret's text must not reach an exception message unless the fuzzer itself wrote it into
// the part of the input that may be quoted (`quotable`).
inline void check_redacted(const std::exception& e, std::string_view secret, std::string_view quotable,
                           std::string_view where) {
    if (contains(e.what(), secret) && !contains(quotable, secret)) fail(where, e.what());
}

}  // namespace calbridge::fuzz
