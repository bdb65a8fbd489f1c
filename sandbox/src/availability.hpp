// POST /v1/availability (docs/PROTOCOL.md §8): free periods or slots computed from the stored
// events of the participants, not canned. The caller is authenticated by app_endpoints.cpp.
#pragma once

#include "endpoints.hpp"

#include <optional>
#include <string>

namespace calbridge::sandbox {

struct AvailabilityCaller {
    std::string client_id;
    // With an account's access token: the only account it may ask about. With the client
    // secret: std::nullopt, and any account that has authorized the application.
    std::optional<std::string> account_id;
};

Response availability(Context& ctx, const Request& request, const AvailabilityCaller& caller);

}  // namespace calbridge::sandbox
