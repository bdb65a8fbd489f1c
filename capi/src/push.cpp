// Push notifications: verifying and reading pushes, and the channel calls of a session.
#include "errors.hpp"
#include "handles.hpp"

#include <calbridge/credentials.hpp>
#include <calbridge/push.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

using namespace calbridge::capi;

namespace {

std::string_view body_view(const char* body, std::size_t body_len) {
    if (body == nullptr) invalid_argument("body is NULL");
    return {body, body_len};
}

std::optional<calbridge::ChannelFilters> channel_filters(const calbridge_channel_options* options) {
    if (options == nullptr) return std::nullopt;
    check_version(options->version, CALBRIDGE_CHANNEL_OPTIONS_VERSION, "channel_options");
    calbridge::ChannelFilters out;
    if (options->calendar_id_count > 0) {
        if (options->calendar_ids == nullptr) {
            invalid_argument("channel_options->calendar_ids is NULL but calendar_id_count is not 0");
        }
        for (std::size_t i = 0; i < options->calendar_id_count; ++i) {
            if (options->calendar_ids[i] == nullptr) {
                invalid_argument("channel_options->calendar_ids[" + std::to_string(i) + "] is NULL");
            }
            out.calendar_ids.emplace_back(options->calendar_ids[i]);
        }
    }
    switch (options->only_managed) {
        case CALBRIDGE_UNSET: break;
        case CALBRIDGE_TRUE: out.only_managed = true; break;
        case CALBRIDGE_FALSE: out.only_managed = false; break;
        default:
            invalid_argument("channel_options->only_managed is " + std::to_string(options->only_managed) +
                             "; use CALBRIDGE_UNSET, CALBRIDGE_TRUE or CALBRIDGE_FALSE");
    }
    return out;
}

}  // namespace

extern "C" {

int calbridge_push_verify(const char* signature_header, const char* body, size_t body_len, const char* secret,
                          const char* previous_secret) {
    return guard(__func__, [&] {
        const auto data = body_view(body, body_len);
        std::vector<calbridge::Secret> secrets;
        secrets.emplace_back(std::string(required_string(secret, "secret")));
        if (previous_secret != nullptr && previous_secret[0] != '\0') secrets.emplace_back(std::string(previous_secret));
        // A request without the header is an unsigned push: the same answer as an empty header.
        calbridge::verify_push(signature_header == nullptr ? std::string_view() : std::string_view(signature_header),
                               data, secrets);
    });
}

int calbridge_push_parse(char** out_json, const char* body, size_t body_len) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        const auto data = body_view(body, body_len);
        const calbridge::PushNotification n = calbridge::parse_push(data);
        boost::json::object doc;
        doc["type"] = calbridge::push_type_name(n.type);
        doc["type_name"] = n.type_name;
        if (n.changes_since) {
            doc["changes_since"] = calbridge::format_rfc3339(*n.changes_since);
        } else {
            doc["changes_since"] = nullptr;
        }
        if (n.channel) {
            doc["channel"] = boost::json::parse(n.channel->raw_json);
        } else {
            doc["channel"] = nullptr;
        }
        std::string text = boost::json::serialize(doc);
        // The body as received (parse_push accepted it as one JSON object), not re-serialized.
        text.pop_back();
        text += ",\"body\":";
        text += data;
        text += '}';
        result = copy_out(text);
    });
}

int calbridge_channel_options_init(calbridge_channel_options* options, unsigned int version) {
    return guard(__func__, [&] {
        auto& o = required(options, "options");
        check_version(version, CALBRIDGE_CHANNEL_OPTIONS_VERSION, "version");
        o = calbridge_channel_options CALBRIDGE_CHANNEL_OPTIONS_INIT;
    });
}

int calbridge_session_create_channel(char** out_json, calbridge_session* session, const char* callback_url,
                                     const calbridge_channel_options* channel_options,
                                     const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        const auto url = required_string(callback_url, "callback_url");
        const auto filters = channel_filters(channel_options);
        result = copy_out(s.session.create_channel(url, filters, call_options(options)).raw_json);
    });
}

int calbridge_session_list_channels(char** out_json, calbridge_session* session, const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out_json, "out_json");
        auto& s = required(session, "session");
        result = copy_out(json_array(s.session.list_channels(call_options(options))));
    });
}

int calbridge_session_close_channel(calbridge_session* session, const char* channel_id,
                                    const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto& s = required(session, "session");
        s.session.close_channel(required_string(channel_id, "channel_id"), call_options(options));
    });
}

}  // extern "C"
