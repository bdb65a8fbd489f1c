#include <calbridge/config.hpp>
#include <calbridge/errors.hpp>

#include "util/ascii.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace calbridge {

namespace {

struct DataCenterEntry {
    DataCenter dc;
    std::string_view name;
    std::string_view api_url;
    std::string_view app_url;
};

// docs/PROTOCOL.md "Hosts and data centers".
constexpr std::array<DataCenterEntry, 6> data_centers{{
    {DataCenter::us, "us", "https://api.cronofy.com", "https://app.cronofy.com"},
    {DataCenter::uk, "uk", "https://api-uk.cronofy.com", "https://app-uk.cronofy.com"},
    {DataCenter::de, "de", "https://api-de.cronofy.com", "https://app-de.cronofy.com"},
    {DataCenter::au, "au", "https://api-au.cronofy.com", "https://app-au.cronofy.com"},
    {DataCenter::ca, "ca", "https://api-ca.cronofy.com", "https://app-ca.cronofy.com"},
    {DataCenter::sg, "sg", "https://api-sg.cronofy.com", "https://app-sg.cronofy.com"},
}};

const DataCenterEntry& entry(DataCenter dc) {
    for (const auto& e : data_centers) {
        if (e.dc == dc) return e;
    }
    throw InvalidArgumentError("unknown data center value");
}

}  // namespace

DataCenter parse_data_center(std::string_view name) {
    for (const auto& e : data_centers) {
        if (detail::iequals(e.name, name)) return e.dc;
    }
    // The name comes from configuration, not from a secret, so it may be quoted back.
    throw ConfigurationError("unknown data center \"" + std::string(name.substr(0, 32)) +
                             "\": expected one of us, uk, de, au, ca, sg");
}

std::string_view data_center_name(DataCenter dc) noexcept {
    for (const auto& e : data_centers) {
        if (e.dc == dc) return e.name;
    }
    return "unknown";
}

Hosts hosts_for(DataCenter dc) {
    const auto& e = entry(dc);
    return Hosts{std::string(e.api_url), std::string(e.app_url)};
}

}  // namespace calbridge
