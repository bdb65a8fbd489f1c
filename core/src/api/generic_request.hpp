// What Session::request and Client::request share: checking the method and the JSON going out
// and coming back, and which methods may be sent again. Internal to the core.
#pragma once

#include "call/call_policy.hpp"

#include <string>
#include <string_view>

namespace calbridge::detail {

// An HTTP method token, upper case as the API's are ("GET", "POST", ...); InvalidArgumentError
// otherwise.
void check_method(std::string_view method);

// GET, HEAD, PUT and DELETE are idempotent; every other method if_not_sent
// (util/http_method.hpp, the one list).
Replay replay_for(std::string_view method);

bool is_json(std::string_view text);

// ProtocolError unless the reply body is empty or JSON.
void check_json_reply(std::string_view method, int status, std::string_view body);

}  // namespace calbridge::detail
