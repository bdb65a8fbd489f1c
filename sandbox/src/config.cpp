#include "config.hpp"

#include "json_util.hpp"
#include "model_json.hpp"
#include "seed.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace calbridge::sandbox {

SandboxConfig default_config(std::int64_t now) {
    SandboxConfig c;
    c.initial.applications.push_back(default_application());
    c.initial.users.push_back(default_user(now));
    return c;
}

SandboxConfig load_config(const std::string& path, std::int64_t now) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read config file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    const auto root = parse_json(text.str());
    if (!root || !root->is_object()) throw std::runtime_error(path + ": not a JSON object");
    const json::object& o = root->get_object();
    SandboxConfig c;
    try {
        check_keys(o, "config", {"settings", "applications", "users", "admin_token"});
        if (const auto* s = get_object(o, "settings")) {
            try {
                read_settings(*s, c.initial.settings);
            } catch (const InputError& e) {
                throw e.within("settings");
            }
        }
        if (const auto* apps = get_array(o, "applications")) {
            std::set<std::string> ids;
            for (std::size_t i = 0; i < apps->size(); ++i) {
                const std::string where = "applications[" + std::to_string(i) + "]";
                try {
                    c.initial.applications.push_back(read_application(as_object((*apps)[i], where)));
                } catch (const InputError& e) {
                    throw e.within(where);
                }
                if (!ids.insert(c.initial.applications.back().client_id).second) {
                    throw InputError(where + ".client_id", "errors.taken", "is used twice");
                }
            }
        }
        if (const auto* users = get_array(o, "users")) {
            std::set<std::string> ids, emails;
            for (std::size_t i = 0; i < users->size(); ++i) {
                const std::string where = "users[" + std::to_string(i) + "]";
                try {
                    c.initial.users.push_back(read_user(as_object((*users)[i], where), now));
                } catch (const InputError& e) {
                    throw e.within(where);
                }
                if (!ids.insert(c.initial.users.back().account_id).second) {
                    throw InputError(where + ".account_id", "errors.taken", "is used twice");
                }
                if (!emails.insert(c.initial.users.back().email).second) {
                    throw InputError(where + ".email", "errors.taken", "is used twice");
                }
            }
        }
        if (auto token = get_string(o, "admin_token")) {
            if (token->size() < 16) throw InputError("admin_token", "errors.invalid", "must be at least 16 characters");
            c.admin_token = *token;
        }
    } catch (const InputError& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    return c;
}

}  // namespace calbridge::sandbox
