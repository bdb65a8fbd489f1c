// Push notifications: the channels the intermediary pushes to (created through
// Session::create_channel) and the notifications it POSTs to them, signed with the
// application's client secret.
//
// A receiver hands the raw request body (the bytes as received, never re-serialized JSON) and
// the value of the `Cronofy-HMAC-SHA256` header to verify_push(); only then does it trust the
// notification. While a client secret is being rotated the header holds several values,
// comma-separated, and the receiver may hold several secrets (current and previous): the push
// is authentic when any value matches any secret.
#pragma once

#include <calbridge/clock.hpp>
#include <calbridge/secret.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

// The header the intermediary signs pushes with.
inline constexpr std::string_view push_signature_header = "Cronofy-HMAC-SHA256";

// Which changes a channel is told about. Empty calendar_ids: every calendar; only_managed
// unset: not sent (the server's default, false).
struct ChannelFilters {
    std::vector<std::string> calendar_ids;
    std::optional<bool> only_managed;

    friend bool operator==(const ChannelFilters&, const ChannelFilters&) = default;
};

struct Channel {
    std::string channel_id;
    std::string callback_url;
    ChannelFilters filters;
    std::string raw_json;  // the channel object's JSON
};

enum class PushType {
    verification,                   // sent once when the channel is created
    change,                         // read events with last_modified = changes_since
    profile_disconnected,           // a calendar profile needs relinking
    profile_initial_sync_required,  // the account's calendars must be read again in full
    unknown,                        // a type calbridge does not know: treat it as "something changed"
};

// "verification", "change", ...; "unknown" for PushType::unknown.
std::string_view push_type_name(PushType type) noexcept;

struct PushNotification {
    PushType type = PushType::unknown;
    std::string type_name;                  // the "type" string as sent (kept for unknown types)
    std::optional<WallTime> changes_since;  // "changes_since", when present
    std::optional<Channel> channel;         // the "channel" object, when present
    std::string raw_json;                   // the whole body
};

// Limits on the work a hostile header can cause: at most this many values are compared, and
// a header longer than max_push_signature_header_bytes is rejected unread.
inline constexpr std::size_t max_push_signature_values = 16;
inline constexpr std::size_t max_push_signature_header_bytes = 4096;

// Checks `signature_header` (the header's value) against base64(HMAC-SHA256(secret, body)) for
// each secret, in constant time per comparison. Returns normally when any value matches any
// (non-empty) secret; InvalidSignatureError when the header is missing (empty), longer than
// the limit, has no well-formed value among its first max_push_signature_values, or matches
// none. InvalidArgumentError when no non-empty secret is given. No message names a secret or
// the expected signature.
void verify_push(std::string_view signature_header, std::string_view body, const std::vector<Secret>& secrets);
void verify_push(std::string_view signature_header, std::string_view body, const Secret& secret);

// Reads a push body: {"notification": {"type": ..., "changes_since": ...}, "channel": {...}}.
// ProtocolError when it is not JSON, not an object, has no "notification" object with a
// string "type", or a "changes_since" that is not an RFC 3339 time. Does NOT verify anything.
PushNotification parse_push(std::string_view body);

// verify_push, then parse_push.
PushNotification verify_and_parse_push(std::string_view signature_header, std::string_view body,
                                       const std::vector<Secret>& secrets);
PushNotification verify_and_parse_push(std::string_view signature_header, std::string_view body,
                                       const Secret& secret);

// The checks create_channel makes before sending anything: InvalidArgumentError unless
// `callback_url` is at most 128 characters, an absolute https URL, or http to a loopback host
// (localhost, 127.0.0.0/8, [::1]).
void check_channel_callback_url(std::string_view callback_url);

}  // namespace calbridge
