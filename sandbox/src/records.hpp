// Small keyed stores of JSON objects for the calls whose only state is what they were sent:
// smart invites, availability rules, permission requests. Keys are built by the caller
// (application, account, id).
#pragma once

#include <boost/json/object.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge::sandbox {

class JsonRecords {
public:
    void clear() {
        std::lock_guard lock(mutex_);
        records_.clear();
    }
    void put(const std::string& key, boost::json::object value) {
        std::lock_guard lock(mutex_);
        records_[key] = std::move(value);
    }
    std::optional<boost::json::object> get(const std::string& key) const {
        std::lock_guard lock(mutex_);
        const auto it = records_.find(key);
        if (it == records_.end()) return std::nullopt;
        return it->second;
    }
    bool remove(const std::string& key) {
        std::lock_guard lock(mutex_);
        return records_.erase(key) > 0;
    }
    // Every record whose key starts with `prefix`, in key order.
    std::vector<boost::json::object> with_prefix(std::string_view prefix) const {
        std::lock_guard lock(mutex_);
        std::vector<boost::json::object> out;
        for (auto it = records_.lower_bound(std::string(prefix)); it != records_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
            out.push_back(it->second);
        }
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, boost::json::object> records_;
};

// "a\x1fb\x1fc": a key from parts that cannot collide ("\x1f" never appears in ids).
inline std::string record_key(std::initializer_list<std::string_view> parts) {
    std::string key;
    for (auto p : parts) {
        key.append(p);
        key.push_back('\x1f');
    }
    return key;
}

}  // namespace calbridge::sandbox
