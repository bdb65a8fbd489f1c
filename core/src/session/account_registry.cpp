#include "session/account_registry.hpp"

#include <algorithm>

namespace calbridge::detail {

std::shared_ptr<AccountState> AccountRegistry::get(std::string_view account) {
    std::lock_guard lock(mutex_);
    auto& slot = accounts_[std::string(account)];
    if (auto state = slot.lock()) return state;
    auto state = std::make_shared<AccountState>(std::string(account));
    slot = state;
    if (accounts_.size() >= prune_at_) {
        // Amortised: prune only when the map has doubled since the last time.
        std::erase_if(accounts_, [](const auto& entry) { return entry.second.expired(); });
        prune_at_ = std::max<std::size_t>(64, 2 * accounts_.size());
    }
    return state;
}

std::shared_ptr<AccountState> AccountRegistry::find(std::string_view account) const {
    std::lock_guard lock(mutex_);
    const auto it = accounts_.find(std::string(account));
    return it == accounts_.end() ? nullptr : it->second.lock();
}

}  // namespace calbridge::detail
