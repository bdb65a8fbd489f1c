// Store names: "memory:", "file:DIR", "sqlite:PATH", "postgresql://...". The C option, Python's
// store= and the CLI's --store all come here, so a name means the same store everywhere.
//
// An error message names the scheme at most, never the rest of the name: a PostgreSQL URI may
// carry a password, and a name without a scheme may be anything (a pasted secret included).
#include <calbridge/errors.hpp>
#include <calbridge/open_store.hpp>
#include <calbridge/postgres_store.hpp>
#include <calbridge/sqlite_store.hpp>

#include "util/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

namespace calbridge {

namespace {

constexpr std::string_view known_schemes = "memory:, file:DIR, sqlite:PATH, postgresql://... or postgres://...";

// RFC 3986 scheme characters: only a name that starts like a URI has its scheme repeated in
// an error message.
bool looks_like_scheme(std::string_view text) {
    if (text.empty() || text.size() > 32 || std::isalpha(static_cast<unsigned char>(text.front())) == 0) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
    });
}

// The path of "file:" and "sqlite:" names, absolute: a store opened now and reopened later
// (or in a child that changed directory) is the same file.
std::filesystem::path store_path(std::string_view scheme, std::string_view rest) {
    if (rest.empty()) {
        throw ConfigurationError("token store name \"" + std::string(scheme) + ":\" needs a path after the colon");
    }
    return std::filesystem::absolute(std::filesystem::path(std::string(rest)));
}

}  // namespace

std::shared_ptr<TokenStore> open_token_store(std::string_view name) {
    const auto colon = name.find(':');
    if (colon == std::string_view::npos) {
        throw ConfigurationError("token store name has no scheme: use " + std::string(known_schemes));
    }
    const std::string_view raw_scheme = name.substr(0, colon);
    const std::string scheme = detail::ascii_lower(raw_scheme);
    const std::string_view rest = name.substr(colon + 1);

    if (scheme == "memory") {
        if (!rest.empty()) throw ConfigurationError("token store name \"memory:\" takes nothing after the colon");
        return std::make_shared<MemoryTokenStore>();
    }
    if (scheme == "file") return std::make_shared<FileTokenStore>(store_path("file", rest));
    if (scheme == "sqlite") return std::make_shared<SqliteTokenStore>(store_path("sqlite", rest));
    if (scheme == "postgresql" || scheme == "postgres") {
        // libpq takes the URI as it is (user, password, host, sslmode...).
        if (rest.substr(0, 2) != "//") {
            throw ConfigurationError("token store name \"" + scheme + ":\" must be a URI: " + scheme + "://...");
        }
        return std::make_shared<PostgresTokenStore>(std::string(name));
    }
    if (looks_like_scheme(raw_scheme)) {
        throw ConfigurationError("token store name has the unknown scheme \"" + std::string(raw_scheme) +
                                 ":\": use " + std::string(known_schemes));
    }
    throw ConfigurationError("token store name does not start with a known scheme: use " + std::string(known_schemes));
}

}  // namespace calbridge
