// Verifying and reading push notifications (docs/PROTOCOL.md §7).
#include <calbridge/push.hpp>

#include <calbridge/config.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/errors.hpp>

#include "push/channel_json.hpp"
#include "util/crypto.hpp"
#include "util/url.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>

namespace calbridge {

namespace json = boost::json;

namespace {

// base64 (RFC 4648 §4, padded) of a 32-byte HMAC is 44 characters ending in one '='.
constexpr std::size_t kSignatureChars = 44;

bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A value as an encoder of a 32-byte digest writes it (the padding may have been dropped);
// std::nullopt for anything else.
std::optional<std::string> well_formed(std::string_view value) {
    if (value.size() == kSignatureChars - 1) {
        // fine: padding left out
    } else if (value.size() == kSignatureChars && value.back() == '=') {
        value.remove_suffix(1);
    } else {
        return std::nullopt;
    }
    for (char c : value) {
        if (!is_base64_char(c)) return std::nullopt;
    }
    return std::string(value) + "=";
}

}  // namespace

std::string_view push_type_name(PushType type) noexcept {
    switch (type) {
        case PushType::verification: return "verification";
        case PushType::change: return "change";
        case PushType::profile_disconnected: return "profile_disconnected";
        case PushType::profile_initial_sync_required: return "profile_initial_sync_required";
        case PushType::unknown: break;
    }
    return "unknown";
}

void verify_push(std::string_view signature_header, std::string_view body, const std::vector<Secret>& secrets) {
    std::vector<std::string> expected;
    for (const auto& secret : secrets) {
        if (secret.empty()) continue;
        std::string mac = detail::hmac_sha256(secret.reveal(), body);
        expected.push_back(detail::base64_encode(mac));
        detail::secure_wipe(mac.data(), mac.size());
    }
    struct Wipe {
        std::vector<std::string>& v;
        ~Wipe() {
            for (auto& s : v) detail::secure_wipe(s.data(), s.size());
        }
    } wipe{expected};
    if (expected.empty()) throw InvalidArgumentError("verify_push: no client secret to verify with");

    if (trim(signature_header).empty()) {
        throw InvalidSignatureError("push signature: the Cronofy-HMAC-SHA256 header is missing or empty");
    }
    if (signature_header.size() > max_push_signature_header_bytes) {
        throw InvalidSignatureError("push signature: the Cronofy-HMAC-SHA256 header is longer than " +
                                    std::to_string(max_push_signature_header_bytes) + " bytes");
    }
    std::size_t checked = 0;
    bool any_well_formed = false;
    bool matched = false;
    std::string_view rest = signature_header;
    while (checked < max_push_signature_values) {
        const std::size_t comma = rest.find(',');
        const std::string_view value = trim(rest.substr(0, comma));
        if (!value.empty()) {
            ++checked;
            if (const auto candidate = well_formed(value)) {
                any_well_formed = true;
                for (const auto& e : expected) {
                    // Every secret is compared, match or not, so the time does not say which.
                    if (constant_time_equal(*candidate, e)) matched = true;
                }
            }
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    if (matched) return;
    if (!any_well_formed) {
        throw InvalidSignatureError("push signature: the Cronofy-HMAC-SHA256 header holds no well-formed signature");
    }
    throw InvalidSignatureError("push signature: no signature in the Cronofy-HMAC-SHA256 header matches");
}

void verify_push(std::string_view signature_header, std::string_view body, const Secret& secret) {
    verify_push(signature_header, body, std::vector<Secret>{secret});
}

PushNotification parse_push(std::string_view body) {
    boost::system::error_code ec;
    const json::value root = json::parse(body, ec);
    if (ec) throw ProtocolError("push notification: the body is not JSON (" + ec.message() + ")");
    if (!root.is_object()) throw ProtocolError("push notification: the body is not a JSON object");
    const auto& obj = root.get_object();
    const auto* n = obj.if_contains("notification");
    if (n == nullptr || !n->is_object()) throw ProtocolError("push notification: no \"notification\" object");
    const auto& notification = n->get_object();
    const auto* type = notification.if_contains("type");
    if (type == nullptr || !type->is_string()) {
        throw ProtocolError("push notification: the notification has no \"type\" string");
    }

    PushNotification out;
    out.type_name = std::string(type->get_string());
    out.type = PushType::unknown;
    for (const PushType t : {PushType::verification, PushType::change, PushType::profile_disconnected,
                             PushType::profile_initial_sync_required}) {
        if (out.type_name == push_type_name(t)) out.type = t;
    }
    if (const auto* since = notification.if_contains("changes_since"); since != nullptr && !since->is_null()) {
        const auto parsed = since->is_string() ? parse_rfc3339(since->get_string()) : std::nullopt;
        if (!parsed) throw ProtocolError("push notification: \"changes_since\" is not an RFC 3339 time");
        out.changes_since = *parsed;
    }
    if (const auto* channel = obj.if_contains("channel"); channel != nullptr && channel->is_object()) {
        out.channel = detail::read_channel(channel->get_object(), json::serialize(channel->get_object()));
    }
    out.raw_json = std::string(body);
    return out;
}

PushNotification verify_and_parse_push(std::string_view signature_header, std::string_view body,
                                       const std::vector<Secret>& secrets) {
    verify_push(signature_header, body, secrets);
    return parse_push(body);
}

PushNotification verify_and_parse_push(std::string_view signature_header, std::string_view body,
                                       const Secret& secret) {
    verify_push(signature_header, body, secret);
    return parse_push(body);
}

void check_channel_callback_url(std::string_view callback_url) {
    if (callback_url.empty()) throw InvalidArgumentError("callback_url is empty");
    if (callback_url.size() > 128) {
        throw InvalidArgumentError("callback_url is longer than 128 characters (" +
                                   std::to_string(callback_url.size()) + ")");
    }
    const auto parsed = detail::parse_uri_strict(callback_url);
    if (!parsed || parsed->host().empty()) throw InvalidArgumentError("callback_url is not an absolute URL");
    std::string scheme(parsed->scheme());
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "https" && !(scheme == "http" && is_loopback_host(parsed->host()))) {
        throw InvalidArgumentError("callback_url must use https (http is allowed only to a loopback address)");
    }
}

}  // namespace calbridge
