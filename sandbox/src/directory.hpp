// The applications and users the sandbox serves. Reads run in parallel (shared lock); the
// callbacks of read_user/write_user run with the lock held, so keep them to building a reply.
#pragma once

#include "model.hpp"

#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace calbridge::sandbox {

class Directory {
public:
    void clear();

    // Applications, in the order they were added (the first is the default one).
    void put_application(Application app);  // adds or replaces by client_id
    bool remove_application(std::string_view client_id);
    std::optional<Application> application(std::string_view client_id) const;
    std::vector<Application> applications() const;

    // Users. put_users adds or replaces by account_id, all under one lock (bulk provisioning);
    // it throws InputError, changing nothing, if an e-mail address would belong to two users.
    void put_users(std::vector<User> users);
    bool remove_user(std::string_view account_id);
    void remove_all_users();
    std::size_t user_count() const;
    // Account id of the user with this account id or e-mail address.
    std::optional<std::string> find_user(std::string_view id_or_email) const;
    // {account_id, email, name} of up to `limit` users, in the order they were added.
    struct UserSummary {
        std::string account_id;
        std::string email;
        std::string name;
    };
    std::vector<UserSummary> list_users(std::size_t limit) const;

    // Runs f(const User*) (nullptr when unknown) under the shared lock and returns its result.
    template <class F>
    auto read_user(std::string_view account_id, F&& f) const {
        std::shared_lock lock(mutex_);
        const auto it = users_.find(std::string(account_id));
        return f(it == users_.end() ? static_cast<const User*>(nullptr) : &it->second);
    }
    // Runs f(User*) (nullptr when unknown) under the exclusive lock.
    template <class F>
    auto write_user(std::string_view account_id, F&& f) {
        std::unique_lock lock(mutex_);
        const auto it = users_.find(std::string(account_id));
        return f(it == users_.end() ? static_cast<User*>(nullptr) : &it->second);
    }

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Application> apps_;
    std::vector<std::string> app_order_;
    std::unordered_map<std::string, User> users_;
    std::unordered_map<std::string, std::string> account_by_email_;
    std::vector<std::string> user_order_;
};

}  // namespace calbridge::sandbox
