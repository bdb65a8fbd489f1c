// One user's tokens: what the token endpoint returns (docs/PROTOCOL.md §2), and the JSON form they
// are stored in. The stored form carries a format version and an RFC 3339 expiry; every later
// version of calbridge reads every earlier format.
#pragma once

#include <calbridge/clock.hpp>
#include <calbridge/secret.hpp>
#include <calbridge/times.hpp>  // format_rfc3339, parse_rfc3339: the stored expiry's form

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge {

struct LinkingProfile {
    std::string provider_name;
    std::string profile_id;
    std::string profile_name;

    friend bool operator==(const LinkingProfile&, const LinkingProfile&) = default;
};

// The longest lifetime we believe from "expires_in"; larger (or negative) values are clamped
// into [0, max_token_lifetime] rather than overflowing the clock.
inline constexpr std::chrono::seconds max_token_lifetime{std::chrono::hours(24 * 366)};

class Credentials {
public:
    // Format written by to_json(). Format 0 (read only) is the token endpoint's own reply as
    // earlier tools stored it: no "format" key, "scope" a string, and an optional numeric
    // "expires_at" in Unix seconds.
    static constexpr int json_format_version = 1;

    Secret access_token;
    Secret refresh_token;
    std::string token_type = "bearer";
    std::vector<std::string> scope;
    std::optional<WallTime> expires_at;  // empty: unknown (the server sent no expires_in)
    std::string account_id;
    std::string sub;
    std::optional<LinkingProfile> linking_profile;
    // Fields we do not know (e.g. "userinfo"), kept verbatim as the text of one JSON object
    // ("" when there are none), so nothing a newer server sends is dropped.
    std::string extra_json;

    // Parses a token endpoint reply. `requested_at` is the wall time the request was sent, so
    // that the expiry errs early. "expires_in" may be a number or a numeric string, or absent
    // (expiry unknown). A reply without access_token, or that is not a JSON object, is a
    // ProtocolError; a reply with an "error" field is the caller's business (the token unit
    // turns it into an OAuth error before calling this).
    static Credentials from_token_response(std::string_view json, WallTime requested_at);

    // The stored form (contains the secrets: this is what a token store writes).
    std::string to_json() const;
    // Reads any format this or an earlier version wrote. ProtocolError when unreadable.
    static Credentials from_json(std::string_view json);

    // True when the access token expires within `leeway` of `now`. Unknown expiry: false.
    bool expires_within(WallTime now, std::chrono::seconds leeway) const noexcept;

    // The key a token store files these credentials under: account_id, else sub.
    const std::string& account_key() const noexcept;

    friend bool operator==(const Credentials&, const Credentials&) = default;
};

// Prints a redacted summary (account, scope, expiry, redacted tokens): safe for logs.
std::ostream& operator<<(std::ostream& os, const Credentials& credentials);

}  // namespace calbridge
