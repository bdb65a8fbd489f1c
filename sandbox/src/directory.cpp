#include "directory.hpp"

#include "json_util.hpp"

#include <algorithm>
#include <mutex>

namespace calbridge::sandbox {

void Directory::clear() {
    std::unique_lock lock(mutex_);
    apps_.clear();
    app_order_.clear();
    users_.clear();
    account_by_email_.clear();
    user_order_.clear();
}

void Directory::put_application(Application app) {
    std::unique_lock lock(mutex_);
    const std::string id = app.client_id;
    if (apps_.find(id) == apps_.end()) app_order_.push_back(id);
    apps_[id] = std::move(app);
}

bool Directory::remove_application(std::string_view client_id) {
    std::unique_lock lock(mutex_);
    const auto it = apps_.find(std::string(client_id));
    if (it == apps_.end()) return false;
    apps_.erase(it);
    app_order_.erase(std::find(app_order_.begin(), app_order_.end(), client_id));
    return true;
}

std::optional<Application> Directory::application(std::string_view client_id) const {
    std::shared_lock lock(mutex_);
    const auto it = apps_.find(std::string(client_id));
    if (it == apps_.end()) return std::nullopt;
    return it->second;
}

std::vector<Application> Directory::applications() const {
    std::shared_lock lock(mutex_);
    std::vector<Application> out;
    out.reserve(app_order_.size());
    for (const auto& id : app_order_) out.push_back(apps_.at(id));
    return out;
}

void Directory::put_users(std::vector<User> users) {
    std::unique_lock lock(mutex_);
    // Check every e-mail address first so that a failing bulk call changes nothing.
    std::unordered_map<std::string, std::string> claimed;
    for (std::size_t i = 0; i < users.size(); ++i) {
        const User& u = users[i];
        const std::string field = "users[" + std::to_string(i) + "].email";
        if (auto [it, fresh] = claimed.emplace(u.email, u.account_id); !fresh && it->second != u.account_id) {
            throw InputError(field, "errors.taken", "belongs to two users in this request");
        }
        const auto owner = account_by_email_.find(u.email);
        if (owner != account_by_email_.end() && owner->second != u.account_id) {
            throw InputError(field, "errors.taken", "belongs to another user (" + owner->second + ")");
        }
    }
    for (auto& u : users) {
        const auto it = users_.find(u.account_id);
        if (it == users_.end()) {
            user_order_.push_back(u.account_id);
        } else {
            account_by_email_.erase(it->second.email);
        }
        account_by_email_[u.email] = u.account_id;
        const std::string id = u.account_id;
        users_[id] = std::move(u);
    }
}

bool Directory::remove_user(std::string_view account_id) {
    std::unique_lock lock(mutex_);
    const auto it = users_.find(std::string(account_id));
    if (it == users_.end()) return false;
    account_by_email_.erase(it->second.email);
    users_.erase(it);
    user_order_.erase(std::find(user_order_.begin(), user_order_.end(), account_id));
    return true;
}

void Directory::remove_all_users() {
    std::unique_lock lock(mutex_);
    users_.clear();
    account_by_email_.clear();
    user_order_.clear();
}

std::size_t Directory::user_count() const {
    std::shared_lock lock(mutex_);
    return users_.size();
}

std::optional<std::string> Directory::find_user(std::string_view id_or_email) const {
    std::shared_lock lock(mutex_);
    const std::string key(id_or_email);
    if (users_.find(key) != users_.end()) return key;
    if (const auto it = account_by_email_.find(key); it != account_by_email_.end()) return it->second;
    return std::nullopt;
}

std::vector<Directory::UserSummary> Directory::list_users(std::size_t limit) const {
    std::shared_lock lock(mutex_);
    std::vector<UserSummary> out;
    for (const auto& id : user_order_) {
        if (out.size() >= limit) break;
        const User& u = users_.at(id);
        out.push_back({u.account_id, u.email, u.name});
    }
    return out;
}

}  // namespace calbridge::sandbox
