// What a developer tunes: token and code lifetimes, refresh-token rotation and reuse
// detection, PKCE, rate limits (globally, and per application as overrides), paging.
#pragma once

#include <boost/json/object.hpp>

#include <optional>

namespace calbridge::sandbox {

struct RateLimit {
    int per_second = 0;  // 0: no limit
    int per_minute = 0;
    bool enabled() const noexcept { return per_second > 0 || per_minute > 0; }
    static RateLimit published() { return {50, 500}; }  // docs/PROTOCOL.md: 50/s and 500/min
};

struct Policy {
    int access_token_lifetime = 3600;  // seconds, the token response's expires_in
    int code_lifetime = 60;            // seconds an authorization code can be exchanged
    bool refresh_rotation = true;      // a refresh returns a new refresh token, the old one dies
    bool refresh_reuse_detection = true;  // reusing a rotated refresh token revokes the grant
    bool pkce_required = false;        // refuse authorization requests without code_challenge
    RateLimit rate_limit;              // per application
};

// An application's deviations from the global policy.
struct PolicyOverrides {
    std::optional<int> access_token_lifetime;
    std::optional<int> code_lifetime;
    std::optional<bool> refresh_rotation;
    std::optional<bool> refresh_reuse_detection;
    std::optional<bool> pkce_required;
    std::optional<RateLimit> rate_limit;

    Policy apply(Policy base) const;
};

struct Settings {
    Policy policy;
    int page_size = 100;       // events and free/busy per page
    int page_lifetime = 3600;  // seconds a next_page URL keeps working
    // The last page's next_page: absent (false) or "" (true); real servers do either.
    bool empty_last_next_page = false;
};

// JSON forms (README "Settings"). Reading applies only the keys present (a partial update)
// and throws InputError on a bad value.
void read_settings(const boost::json::object& o, Settings& settings);
boost::json::object write_settings(const Settings& settings);
void read_overrides(const boost::json::object& o, PolicyOverrides& overrides);
boost::json::object write_overrides(const PolicyOverrides& overrides);

}  // namespace calbridge::sandbox
