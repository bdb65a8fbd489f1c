#include "model.hpp"

#include <algorithm>

namespace calbridge::sandbox {

const Profile* User::profile(std::string_view id) const {
    for (const auto& p : profiles) {
        if (p.profile_id == id) return &p;
    }
    return nullptr;
}

Profile* User::profile(std::string_view id) {
    for (auto& p : profiles) {
        if (p.profile_id == id) return &p;
    }
    return nullptr;
}

const Calendar* User::calendar(std::string_view id) const {
    for (const auto& c : calendars) {
        if (c.calendar_id == id) return &c;
    }
    return nullptr;
}

bool User::calendar_visible(const Calendar& c) const {
    if (c.deleted) return false;
    const Profile* p = profile(c.profile_id);
    return p != nullptr && p->connected;
}

void User::sort_events() {
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
        if (a.start_at != b.start_at) return a.start_at < b.start_at;
        return a.event_uid < b.event_uid;
    });
}

}  // namespace calbridge::sandbox
