#include "call/excerpt.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace calbridge::detail {

namespace {

bool starts_with_nocase(std::string_view text, std::size_t pos, std::string_view prefix) {
    if (text.size() - pos < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) != prefix[i]) return false;
    }
    return true;
}

// Position just past the first case-insensitive `needle` at or after `pos`, or the end.
std::size_t skip_past_nocase(std::string_view text, std::size_t pos, std::string_view needle) {
    for (; pos < text.size(); ++pos) {
        if (starts_with_nocase(text, pos, needle)) return pos + needle.size();
    }
    return text.size();
}

// Markup out, text in; a tag separates words, so it becomes a space.
std::string strip_markup(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] != '<') {
            out += text[i++];
            continue;
        }
        if (starts_with_nocase(text, i, "<!--")) {
            i = skip_past_nocase(text, i, "-->");
        } else if (starts_with_nocase(text, i, "<script")) {
            i = skip_past_nocase(text, i, "</script>");
        } else if (starts_with_nocase(text, i, "<style")) {
            i = skip_past_nocase(text, i, "</style>");
        } else {
            const auto close = text.find('>', i);
            if (close == std::string_view::npos) break;  // a cut-off tag: drop the rest
            i = close + 1;
        }
        out += ' ';
    }
    return out;
}

std::string decode_entities(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, char>, 7> entities = {{
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
        {"&#39;", '\''}, {"&apos;", '\''}, {"&nbsp;", ' '},
    }};
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        bool decoded = false;
        if (text[i] == '&') {
            for (const auto& [name, c] : entities) {
                if (text.substr(i, name.size()) == name) {
                    out += c;
                    i += name.size();
                    decoded = true;
                    break;
                }
            }
        }
        if (!decoded) out += text[i++];
    }
    return out;
}

// One space for every run of whitespace or control characters, '?' for a byte that is not
// UTF-8 (an exception message must be valid text: Python decodes it), trimmed.
std::string normalize_text(std::string_view text) {
    std::string out;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c <= 0x20 || c == 0x7F) {
            pending_space = !out.empty();
            ++i;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += '?';
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

std::string truncated(std::string text, std::size_t max_length) {
    if (text.size() <= max_length) return text;
    std::size_t cut = max_length;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
    text.resize(cut);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + "...";
}

}  // namespace

std::string body_excerpt(std::string_view body, const Redactor& redactor, std::size_t max_length) {
    const std::string text = normalize_text(decode_entities(strip_markup(redactor.scrub(body))));
    return truncated(redactor.scrub(text), max_length);
}

}  // namespace calbridge::detail
