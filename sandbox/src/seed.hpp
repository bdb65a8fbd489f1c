// The state a sandbox starts with when no config file is given: one application, one user
// with two profiles, three calendars and enough events to page through.
#pragma once

#include "model.hpp"

#include <cstdint>
#include <vector>

namespace calbridge::sandbox {

inline constexpr std::string_view default_client_id = "sandbox-client-id";
inline constexpr std::string_view default_client_secret = "sandbox-client-secret-change-me";
inline constexpr int default_event_count = 250;

Application default_application();
User default_user(std::int64_t now);

// `count` one-hour events on `calendar_id`, three a day from 28 days before `now` onwards,
// with stable summaries ("Event 1", ...). Ids are random.
std::vector<Event> generate_events(const std::string& calendar_id, int count, std::int64_t now);

}  // namespace calbridge::sandbox
