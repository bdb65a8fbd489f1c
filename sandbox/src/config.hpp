// The JSON config file (README "Config file"): settings, applications, users and an optional
// fixed admin token. Without one, the seed (seed.hpp) is used.
#pragma once

#include "state.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace calbridge::sandbox {

struct SandboxConfig {
    InitialState initial;
    std::optional<std::string> admin_token;  // random at start unless given
};

// Throws std::runtime_error naming the file and the offending field.
SandboxConfig load_config(const std::string& path, std::int64_t now);
SandboxConfig default_config(std::int64_t now);

}  // namespace calbridge::sandbox
