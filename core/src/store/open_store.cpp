// Store names: the one spelling of a store every surface accepts (calbridge/open_store.hpp).
#include <calbridge/errors.hpp>
#include <calbridge/open_store.hpp>
#include <calbridge/postgres_store.hpp>
#include <calbridge/sqlite_store.hpp>

#include <string>

namespace calbridge {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

std::string_view path_after(std::string_view name, std::string_view scheme) {
    const std::string_view path = name.substr(scheme.size());
    if (path.empty()) throw ConfigurationError("store name \"" + std::string(scheme) + "\" needs a path after the colon");
    if (path.find('\0') != std::string_view::npos) throw ConfigurationError("store path contains a NUL character");
    return path;
}

}  // namespace

std::shared_ptr<TokenStore> open_token_store(std::string_view name) {
    if (name == "memory:") return std::make_shared<MemoryTokenStore>();
    if (starts_with(name, "file:")) return std::make_shared<FileTokenStore>(std::string(path_after(name, "file:")));
    if (starts_with(name, "sqlite:")) return std::make_shared<SqliteTokenStore>(std::string(path_after(name, "sqlite:")));
    if (starts_with(name, "postgresql://") || starts_with(name, "postgres://")) {
        return std::make_shared<PostgresTokenStore>(std::string(name));
    }
    // Name the scheme only: the rest may be a connection string with a password.
    const auto colon = name.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        throw ConfigurationError("store name must start with memory:, file:, sqlite:, postgresql:// or postgres://");
    }
    std::string scheme(name.substr(0, std::min<std::size_t>(colon, 20)));
    for (char& c : scheme) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    }
    throw ConfigurationError("unknown store scheme \"" + scheme +
                             ":\" (expected memory:, file:, sqlite:, postgresql:// or postgres://)");
}

}  // namespace calbridge
