#include "store/file/account_files.hpp"

#include "util/crypto.hpp"

#include <cstddef>

namespace calbridge::detail::file_store {

namespace {

namespace fs = std::filesystem;

// NAME_MAX is 255 bytes on Linux and macOS; keep room for the suffixes.
constexpr std::size_t max_stem_size = 200;

}  // namespace

std::string escape_account(std::string_view account) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string stem;
    stem.reserve(account.size());
    for (const char c : account) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            stem += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            stem += '%';
            stem += hex[byte >> 4];
            stem += hex[byte & 0xF];
        }
    }
    return stem;
}

std::string account_stem(std::string_view account) {
    std::string stem = escape_account(account);
    if (stem.size() <= max_stem_size) return stem;
    // Too long for a file name: a readable prefix made unique by a hash of the whole key. The
    // escaping never produces '~', so these stems cannot meet a short one.
    const std::string digest = detail::base64url_encode(detail::sha256(account));
    stem.resize(max_stem_size - digest.size() - 1);
    return stem + '~' + digest;
}

AccountFiles account_files(const fs::path& directory, std::string_view account) {
    const std::string stem = account_stem(account);
    return {directory / (stem + ".json"), directory / (stem + ".lock"), directory / (stem + ".tmp")};
}

}  // namespace calbridge::detail::file_store
