// What sends push notifications, and their bodies and signatures (docs/PROTOCOL.md §7): a
// verification when a channel is created, a change after every change to a user's events, a
// profile_disconnected when the admin disconnects a profile. Everything is only enqueued for
// the sender thread (deliveries.hpp).
#pragma once

#include "channels.hpp"
#include "model.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace calbridge::sandbox {

class State;

// base64(HMAC-SHA256(secret, body)), then the previous secret's when the application has one,
// comma-separated.
std::string push_signature(const Application& app, const std::string& body);

struct EventChange {
    std::string account_id;
    std::vector<std::string> calendar_ids;  // the calendars touched; empty: any (admin edits)
    std::string managed_by;                 // the application whose managed event changed, if any
    std::int64_t at = 0;                    // the change's time: changes_since
};

void push_verification(State& state, const Channel& channel);
void push_change(State& state, const EventChange& change);
void push_profile_disconnected(State& state, const std::string& account_id);

}  // namespace calbridge::sandbox
