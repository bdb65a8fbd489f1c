#include "state.hpp"

namespace calbridge::sandbox {

State::State(InitialState initial) : initial_(std::move(initial)) { reset(); }

Settings State::settings() const {
    std::lock_guard lock(settings_mutex_);
    return settings_;
}

void State::set_settings(const Settings& settings) {
    std::lock_guard lock(settings_mutex_);
    settings_ = settings;
}

Policy State::policy_for(const Application& app) const {
    std::lock_guard lock(settings_mutex_);
    return app.overrides.apply(settings_.policy);
}

void State::reset() {
    set_settings(initial_.settings);
    clock.reset();
    directory.clear();
    for (const auto& app : initial_.applications) directory.put_application(app);
    directory.put_users(initial_.users);
    grants.clear();
    rate_limiter.clear();
    faults.clear();
    channels.clear();
    smart_invites.clear();
    availability_rules.clear();
    permission_requests.clear();
    deliveries.clear();
}

}  // namespace calbridge::sandbox
