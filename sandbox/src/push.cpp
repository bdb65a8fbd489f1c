#include "push.hpp"

#include "crypto.hpp"
#include "state.hpp"
#include "times.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace calbridge::sandbox {

namespace json = boost::json;

std::string push_signature(const Application& app, const std::string& body) {
    std::string header = base64_encode(hmac_sha256(app.client_secret, body));
    if (!app.previous_client_secret.empty()) header += "," + base64_encode(hmac_sha256(app.previous_client_secret, body));
    return header;
}

namespace {

void send(State& state, const Channel& channel, json::object notification) {
    const auto app = state.directory.application(channel.client_id);
    if (!app) return;
    const std::string type(notification.at("type").as_string());
    json::object body;
    body["notification"] = std::move(notification);
    body["channel"] = write_channel(channel);
    std::string text = json::serialize(body);
    std::string signature = push_signature(*app, text);
    state.deliveries.enqueue(channel.channel_id, channel.callback_url, type, std::move(text), std::move(signature));
}

bool matches(const Channel& c, const EventChange& change) {
    if (c.only_managed.value_or(false) && change.managed_by != c.client_id) return false;
    if (c.calendar_ids && !change.calendar_ids.empty()) {
        const bool any = std::any_of(change.calendar_ids.begin(), change.calendar_ids.end(), [&](const std::string& id) {
            return std::find(c.calendar_ids->begin(), c.calendar_ids->end(), id) != c.calendar_ids->end();
        });
        if (!any) return false;
    }
    return true;
}

}  // namespace

void push_verification(State& state, const Channel& channel) {
    json::object n;
    n["type"] = "verification";
    send(state, channel, std::move(n));
}

void push_change(State& state, const EventChange& change) {
    for (const auto& c : state.channels.for_account(change.account_id)) {
        if (!matches(c, change)) continue;
        json::object n;
        n["type"] = "change";
        n["changes_since"] = format_rfc3339(change.at);
        send(state, c, std::move(n));
    }
}

void push_profile_disconnected(State& state, const std::string& account_id) {
    for (const auto& c : state.channels.for_account(account_id)) {
        json::object n;
        n["type"] = "profile_disconnected";
        send(state, c, std::move(n));
    }
}

}  // namespace calbridge::sandbox
