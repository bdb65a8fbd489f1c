// Push notification channels (docs/PROTOCOL.md §7) on Session, each one logical call.
#include <calbridge/session.hpp>
#include <calbridge/errors.hpp>

#include "api/api_url.hpp"
#include "api/callers.hpp"
#include "api/results.hpp"
#include "push/channel_json.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge {

using detail::Replay;

Channel Session::create_channel(std::string_view callback_url, const std::optional<ChannelFilters>& filters,
                                const CallOptions& options) const {
    check_channel_callback_url(callback_url);
    const Config& config = caller()->configuration();
    const std::string body = detail::create_channel_body(callback_url, filters);
    // Not idempotent (a second POST makes a second channel): retried only when never sent.
    const auto reply = caller()->send(detail::api_request(config, "POST", config.api_url() + "/v1/channels", body),
                                    Replay::if_not_sent, options);
    const auto obj = detail::parse_reply_object(reply.body, "create channel");
    const auto* channel = obj.if_contains("channel");
    if (channel == nullptr || !channel->is_object()) {
        throw ProtocolError("create channel: the reply has no \"channel\" object");
    }
    return detail::read_channel(channel->get_object(), boost::json::serialize(channel->get_object()));
}

std::vector<Channel> Session::list_channels(const CallOptions& options) const {
    const Config& config = caller()->configuration();
    const auto reply = caller()->send(detail::api_request(config, "GET", config.api_url() + "/v1/channels"),
                                    Replay::idempotent, options);
    const auto obj = detail::parse_reply_object(reply.body, "list channels");
    std::vector<Channel> out;
    for (const auto& item : detail::array_of_objects(obj, "channels", "list channels")) {
        out.push_back(detail::read_channel(item.get_object(), boost::json::serialize(item.get_object())));
    }
    return out;
}

void Session::close_channel(std::string_view channel_id, const CallOptions& options) const {
    if (channel_id.empty()) throw InvalidArgumentError("channel_id is empty");
    const Config& config = caller()->configuration();
    std::string url = config.api_url() + "/v1/channels/" + detail::path_segment("channel_id", channel_id);
    caller()->send(detail::api_request(config, "DELETE", std::move(url)), Replay::idempotent, options);
}

}  // namespace calbridge
