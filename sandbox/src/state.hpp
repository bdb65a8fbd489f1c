// Everything the sandbox knows, in one place, and how to go back to the start.
#pragma once

#include "channels.hpp"
#include "clock.hpp"
#include "deliveries.hpp"
#include "directory.hpp"
#include "faults.hpp"
#include "grants.hpp"
#include "paging.hpp"
#include "rate_limit.hpp"
#include "records.hpp"
#include "settings.hpp"

#include <mutex>
#include <vector>

namespace calbridge::sandbox {

// What the sandbox starts with (the config file, or the seed) and returns to on reset.
struct InitialState {
    Settings settings;
    std::vector<Application> applications;
    std::vector<User> users;
};

class State {
public:
    explicit State(InitialState initial);

    Clock clock;
    Directory directory;
    Grants grants;
    RateLimiter rate_limiter;
    Faults faults;
    PageSigner pages;
    Channels channels;
    JsonRecords smart_invites;       // by application, smart_invite_id
    JsonRecords availability_rules;  // by application, account, availability_rule_id
    JsonRecords permission_requests; // by application, account, id
    Deliveries deliveries;  // declared last among the parts: its sender thread stops first

    Settings settings() const;
    void set_settings(const Settings& settings);
    // The global policy with the application's overrides applied.
    Policy policy_for(const Application& app) const;

    // Back to the initial state: applications, users, settings; no codes, tokens, faults or
    // rate-limit windows; the clock unmoved.
    void reset();
    const InitialState& initial() const noexcept { return initial_; }

private:
    mutable std::mutex settings_mutex_;
    Settings settings_;
    const InitialState initial_;
};

}  // namespace calbridge::sandbox
