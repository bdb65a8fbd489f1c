// The process-local token store: a map under one mutex. Credentials are copied in and out, so
// no caller ever holds a reference into the map once the lock is released.
#include <calbridge/store.hpp>

namespace calbridge {

std::optional<VersionedCredentials> MemoryTokenStore::load(std::string_view account) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(std::string(account));
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::uint64_t> MemoryTokenStore::insert(std::string_view account, const Credentials& credentials) {
    const std::lock_guard lock(mutex_);
    const auto [it, inserted] = entries_.try_emplace(std::string(account), VersionedCredentials{credentials, 1});
    if (!inserted) return std::nullopt;
    return it->second.version;
}

std::optional<std::uint64_t> MemoryTokenStore::save(std::string_view account, const Credentials& credentials,
                                                    std::uint64_t expected_version) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(std::string(account));
    if (it == entries_.end() || it->second.version != expected_version) return std::nullopt;
    it->second.credentials = credentials;
    return ++it->second.version;
}

std::uint64_t MemoryTokenStore::replace(std::string_view account, const Credentials& credentials) {
    const std::lock_guard lock(mutex_);
    // A new entry starts at version 0 here and leaves at 1, like an insert.
    auto& entry = entries_[std::string(account)];
    entry.credentials = credentials;
    return ++entry.version;
}

bool MemoryTokenStore::remove(std::string_view account) {
    const std::lock_guard lock(mutex_);
    return entries_.erase(std::string(account)) > 0;
}

}  // namespace calbridge
