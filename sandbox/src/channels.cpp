#include "channels.hpp"

#include "uri.hpp"

#include <algorithm>

namespace calbridge::sandbox {

namespace json = boost::json;

json::object write_channel(const Channel& c) {
    json::object o;
    o["channel_id"] = c.channel_id;
    o["callback_url"] = c.callback_url;
    json::object filters;
    if (c.calendar_ids) {
        json::array ids;
        for (const auto& id : *c.calendar_ids) ids.push_back(json::string(id));
        filters["calendar_ids"] = std::move(ids);
    }
    if (c.only_managed) filters["only_managed"] = *c.only_managed;
    o["filters"] = std::move(filters);
    return o;
}

std::string callback_url_problem(std::string_view url) {
    if (url.empty()) return "callback_url is required";
    if (url.size() > 128) return "callback_url must be at most 128 characters";
    auto u = parse_absolute_uri_from_outside(url);
    if (!u || !u->has_authority() || u->host().empty()) return "callback_url must be an absolute http(s) URL";
    const std::string scheme = u->scheme();
    if (scheme == "https") return {};
    if (scheme != "http") return "callback_url must use https";
    const std::string host = u->host();
    if (host == "127.0.0.1" || host == "[::1]" || host == "::1" || host == "localhost") return {};
    return "callback_url must use https (plain http only to a loopback host)";
}

void Channels::clear() {
    std::lock_guard lock(mutex_);
    channels_.clear();
}

void Channels::add(Channel channel) {
    std::lock_guard lock(mutex_);
    channels_.push_back(std::move(channel));
}

std::vector<Channel> Channels::list(std::string_view client_id, std::string_view account_id) const {
    std::lock_guard lock(mutex_);
    std::vector<Channel> out;
    for (const auto& c : channels_) {
        if (c.client_id == client_id && c.account_id == account_id) out.push_back(c);
    }
    return out;
}

std::vector<Channel> Channels::for_account(std::string_view account_id) const {
    std::lock_guard lock(mutex_);
    std::vector<Channel> out;
    for (const auto& c : channels_) {
        if (c.account_id == account_id) out.push_back(c);
    }
    return out;
}

bool Channels::remove(std::string_view client_id, std::string_view account_id, std::string_view channel_id) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(channels_.begin(), channels_.end(), [&](const Channel& c) {
        return c.channel_id == channel_id && c.client_id == client_id && c.account_id == account_id;
    });
    if (it == channels_.end()) return false;
    channels_.erase(it);
    return true;
}

void Channels::remove_account(std::string_view account_id) {
    std::lock_guard lock(mutex_);
    std::erase_if(channels_, [&](const Channel& c) { return c.account_id == account_id; });
}

void Channels::remove_client(std::string_view client_id) {
    std::lock_guard lock(mutex_);
    std::erase_if(channels_, [&](const Channel& c) { return c.client_id == client_id; });
}

}  // namespace calbridge::sandbox
