// Push notification channels (docs/PROTOCOL.md §7): per grant (application and account), with a
// callback URL and optional filters. The deliveries themselves are in deliveries.hpp.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge::sandbox {

struct Channel {
    std::string channel_id;  // chn_...
    std::string client_id;
    std::string account_id;
    std::string callback_url;
    std::optional<std::vector<std::string>> calendar_ids;  // filter: changes to these calendars only
    std::optional<bool> only_managed;                      // filter: changes to this application's events only
};

// {"channel_id", "callback_url", "filters": {...}} as the API and the push bodies show it.
boost::json::object write_channel(const Channel& channel);

// Why a callback URL is refused (empty: fine): at most 128 characters, absolute, https, or
// http to a loopback host (127.0.0.1, ::1, localhost).
std::string callback_url_problem(std::string_view url);

class Channels {
public:
    void clear();
    void add(Channel channel);
    std::vector<Channel> list(std::string_view client_id, std::string_view account_id) const;
    std::vector<Channel> for_account(std::string_view account_id) const;
    bool remove(std::string_view client_id, std::string_view account_id, std::string_view channel_id);
    void remove_account(std::string_view account_id);
    void remove_client(std::string_view client_id);

private:
    mutable std::mutex mutex_;
    std::vector<Channel> channels_;  // in creation order
};

}  // namespace calbridge::sandbox
