// Each account's shared token state within one Client, found by account key. Entries live as
// long as a Session uses them (the map holds weak references, pruned as it grows), so a server
// that serves many users does not keep every account it ever saw. Internal to the core.
#pragma once

#include "session/account_state.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace calbridge::detail {

class AccountRegistry {
public:
    // The account's state, created if no Session holds it now.
    std::shared_ptr<AccountState> get(std::string_view account);
    // The account's state if a Session holds it now.
    std::shared_ptr<AccountState> find(std::string_view account) const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::weak_ptr<AccountState>> accounts_;
    std::size_t prune_at_ = 64;
};

}  // namespace calbridge::detail
