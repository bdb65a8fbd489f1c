// Credentials: reading the token endpoint's reply (docs/PROTOCOL.md §2), and the stored JSON form
// (docs/ARCHITECTURE.md "Stored credentials outlive versions").
//
// Stored formats, each read by every later version:
//   0  the token endpoint's reply as earlier tools stored it: no "format" key. An optional
//      numeric "expires_at" (Unix seconds, or an RFC 3339 string) is honoured. "expires_in" is
//      ignored: it counts from a request time that was not stored, so any expiry computed from
//      it would be a guess; the expiry is unknown and the session refreshes after a 401.
//   1  {"format": 1, "token_type", "access_token", "refresh_token", "scope": "a b",
//      "expires_at": RFC 3339 UTC (omitted when unknown), "account_id", "sub",
//      "linking_profile": {...} (omitted when absent), "extra": {...} (omitted when empty)}.
//
// Error messages name the field and what is wrong with it, never its value: a value may be a
// token.
#include "credentials/credentials_json.hpp"

#include <calbridge/errors.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <ostream>

namespace calbridge {

namespace json = boost::json;

namespace {

using std::chrono::seconds;

// `t + d`, pinned to WallTime's range instead of overflowing (an absurd expiry or leeway must
// not wrap around into the past).
WallTime saturating_add(WallTime t, seconds d) noexcept {
    using Ticks = WallTime::duration;
    constexpr auto limit = std::chrono::floor<seconds>(Ticks::max());
    const Ticks step = std::chrono::duration_cast<Ticks>(std::clamp(d, -limit, limit));
    const Ticks since = t.time_since_epoch();
    if (step > Ticks::zero() && since > Ticks::max() - step) return WallTime::max();
    if (step < Ticks::zero() && since < Ticks::min() - step) return WallTime::min();
    return t + step;
}

// A lifetime the server sent, clamped into [0, max_token_lifetime]. Fractions are dropped so
// the expiry errs early; NaN counts as 0 for the same reason.
seconds clamp_lifetime(const json::value& number) noexcept {
    constexpr auto max = max_token_lifetime.count();
    if (const auto* i = number.if_int64()) return seconds(std::clamp<std::int64_t>(*i, 0, max));
    if (const auto* u = number.if_uint64()) {
        return seconds(*u > static_cast<std::uint64_t>(max) ? max : static_cast<std::int64_t>(*u));
    }
    const double d = number.get_double();
    if (!(d > 0)) return seconds(0);  // also NaN
    if (d >= static_cast<double>(max)) return seconds(max);
    return seconds(static_cast<std::int64_t>(d));
}

// Boost.JSON reads 1e999 as infinity but writes it back as "Infinity", which is not JSON. An
// unknown field holding such a number is kept as null so that the stored text stays readable.
void replace_non_finite(json::value& v) {
    if (auto* d = v.if_double(); d != nullptr && !std::isfinite(*d)) {
        v = nullptr;
    } else if (auto* a = v.if_array()) {
        for (auto& element : *a) replace_non_finite(element);
    } else if (auto* o = v.if_object()) {
        for (auto& member : *o) replace_non_finite(member.value());
    }
}

json::value parse_json(std::string_view text, std::string_view source, const json::parse_options& options = {}) {
    json::error_code ec;
    json::value v = json::parse(text, ec, {}, options);
    if (ec) throw ProtocolError(std::string(source) + ": not valid JSON (" + ec.message() + ")");
    return v;
}

const json::object& as_object(const json::value& v, std::string_view source) {
    const auto* object = v.if_object();
    if (object == nullptr) throw ProtocolError(std::string(source) + ": not a JSON object");
    return *object;
}

bool is_one_of(std::string_view key, std::initializer_list<std::string_view> keys) noexcept {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Reads the fields of one JSON object. A field that is absent or null is "not given"; a field
// of the wrong type is a ProtocolError that names the field and where it came from.
class FieldReader {
public:
    // `parent` names the enclosing field in messages ("linking_profile.profile_id").
    FieldReader(const json::object& object, std::string_view source, std::string_view parent = {}) noexcept
        : object_(object), source_(source), parent_(parent) {}

    // nullptr when absent or null.
    const json::value* find(std::string_view key) const noexcept {
        const auto* v = object_.if_contains(key);
        return (v == nullptr || v->is_null()) ? nullptr : v;
    }

    std::optional<std::string> string(std::string_view key) const {
        const auto* v = find(key);
        if (v == nullptr) return std::nullopt;
        const auto* s = v->if_string();
        if (s == nullptr) fail(key, "is not a string");
        return std::string(s->data(), s->size());
    }

    std::string string_or_empty(std::string_view key) const { return string(key).value_or(std::string()); }

    Secret required_secret(std::string_view key) const {
        auto value = string(key);
        if (!value || value->empty()) fail(key, "is missing or empty");
        return Secret(std::move(*value));
    }

    // RFC 6749 §3.3: scope tokens separated by single spaces; runs of spaces are tolerated.
    std::vector<std::string> scope(std::string_view key) const {
        std::vector<std::string> tokens;
        const std::string text = string_or_empty(key);
        std::size_t pos = 0;
        while (pos < text.size()) {
            const std::size_t end = std::min(text.find(' ', pos), text.size());
            if (end > pos) tokens.push_back(text.substr(pos, end - pos));
            pos = end + 1;
        }
        return tokens;
    }

    std::optional<LinkingProfile> linking_profile(std::string_view key) const {
        const auto* v = find(key);
        if (v == nullptr) return std::nullopt;
        const auto* object = v->if_object();
        if (object == nullptr) fail(key, "is not an object");
        const FieldReader inner(*object, source_, key);
        return LinkingProfile{inner.string_or_empty("provider_name"), inner.string_or_empty("profile_id"),
                              inner.string_or_empty("profile_name")};
    }

    // A number, or a string holding a JSON number ("3600": some servers quote it). The string
    // is read by the JSON parser so that "3600" and 3600 mean exactly the same.
    std::optional<json::value> number(std::string_view key) const {
        const auto* v = find(key);
        if (v == nullptr) return std::nullopt;
        if (v->is_number()) return *v;
        if (const auto* s = v->if_string()) {
            json::error_code ec;
            json::value parsed = json::parse(std::string_view(*s), ec);
            if (!ec && parsed.is_number()) return parsed;
            fail(key, "is a string that is not a number");
        }
        fail(key, "is not a number");
    }

    [[noreturn]] void fail(std::string_view key, std::string_view problem) const {
        const std::string prefix = parent_.empty() ? std::string() : std::string(parent_) + ".";
        throw ProtocolError(std::string(source_) + ": \"" + prefix + std::string(key) + "\" " +
                            std::string(problem));
    }

private:
    const json::object& object_;
    std::string_view source_;
    std::string_view parent_;
};

// The fields the token reply and both stored formats share.
Credentials read_common_fields(const FieldReader& in) {
    Credentials c;
    c.access_token = in.required_secret("access_token");
    c.refresh_token = Secret(in.string_or_empty("refresh_token"));
    if (auto token_type = in.string("token_type")) c.token_type = std::move(*token_type);
    c.scope = in.scope("scope");
    c.account_id = in.string_or_empty("account_id");
    c.sub = in.string_or_empty("sub");
    c.linking_profile = in.linking_profile("linking_profile");
    return c;
}

// Copies the members not in `known` into `extra`, unless `extra` already has them.
void collect_unknown(const json::object& object, std::initializer_list<std::string_view> known,
                     json::object& extra) {
    for (const auto& member : object) {
        if (is_one_of(member.key(), known) || extra.contains(member.key())) continue;
        json::value copy = member.value();
        replace_non_finite(copy);
        extra.emplace(member.key(), std::move(copy));
    }
}

std::string extra_text(const json::object& extra) {
    return extra.empty() ? std::string() : json::serialize(extra);
}

// Unix seconds to WallTime; ProtocolError when the clock cannot represent it.
WallTime from_unix_seconds(const json::value& number, const FieldReader& in, std::string_view key) {
    using Ticks = WallTime::duration;
    constexpr auto lo = std::chrono::ceil<seconds>(Ticks::min()).count();
    constexpr auto hi = std::chrono::floor<seconds>(Ticks::max()).count();
    std::int64_t s = 0;
    if (const auto* d = number.if_double()) {
        if (!(*d >= static_cast<double>(lo) && *d <= static_cast<double>(hi))) in.fail(key, "is out of range");
        s = static_cast<std::int64_t>(std::floor(*d));
    } else {
        json::error_code ec;
        s = number.to_number<std::int64_t>(ec);
        if (ec || s < lo || s > hi) in.fail(key, "is out of range");
    }
    return WallTime(std::chrono::duration_cast<Ticks>(seconds(s)));
}

std::optional<WallTime> rfc3339_field(const FieldReader& in, std::string_view key) {
    const auto text = in.string(key);
    if (!text) return std::nullopt;
    auto t = parse_rfc3339(*text);
    if (!t) in.fail(key, "is not an RFC 3339 time");
    return t;
}

constexpr std::string_view token_reply_source = "token response";
constexpr std::string_view stored_source = "stored credentials";

Credentials read_format_0(const json::object& object) {
    const FieldReader in(object, stored_source);
    Credentials c = read_common_fields(in);
    if (const auto* v = in.find("expires_at")) {
        if (v->is_string()) {
            c.expires_at = rfc3339_field(in, "expires_at");
        } else {
            c.expires_at = from_unix_seconds(*in.number("expires_at"), in, "expires_at");
        }
    }
    json::object extra;
    collect_unknown(object,
                    {"token_type", "access_token", "refresh_token", "scope", "expires_in", "expires_at",
                     "account_id", "sub", "linking_profile"},
                    extra);
    c.extra_json = extra_text(extra);
    return c;
}

Credentials read_format_1(const json::object& object) {
    const FieldReader in(object, stored_source);
    Credentials c = read_common_fields(in);
    c.expires_at = rfc3339_field(in, "expires_at");
    json::object extra;
    if (const auto* v = in.find("extra")) {
        const auto* stored_extra = v->if_object();
        if (stored_extra == nullptr) in.fail("extra", "is not an object");
        extra = *stored_extra;
    }
    // A format-1 document with keys we do not know was written by hand or by a tool that
    // should have bumped the format; keep them rather than drop them on the next write.
    collect_unknown(object,
                    {"format", "token_type", "access_token", "refresh_token", "scope", "expires_at",
                     "account_id", "sub", "linking_profile", "extra"},
                    extra);
    c.extra_json = extra_text(extra);
    return c;
}

// 0 when the document has no "format" key (the raw token reply).
std::int64_t stored_format(const json::object& object) {
    const FieldReader in(object, stored_source);
    const auto* v = in.find("format");
    if (v == nullptr) return 0;
    json::error_code ec;
    const auto format = v->is_number() ? v->to_number<std::int64_t>(ec) : -1;
    if (ec || format < 0) in.fail("format", "is not a format number");
    if (format > Credentials::json_format_version) {
        throw ProtocolError("stored credentials have format " + std::to_string(format) +
                            ", written by a newer calbridge (this one reads up to format " +
                            std::to_string(Credentials::json_format_version) + ")");
    }
    return format;
}

json::object parse_extra_json(const std::string& extra_json) {
    json::error_code ec;
    json::value v = json::parse(extra_json, ec, {}, detail::stored_json_parse_options());
    auto* object = v.if_object();
    if (ec || object == nullptr) {
        throw InvalidArgumentError("Credentials::extra_json is not the text of a JSON object");
    }
    return std::move(*object);
}

std::string join_scope(const std::vector<std::string>& scope) {
    std::string text;
    for (const auto& token : scope) {
        if (!text.empty()) text += ' ';
        text += token;
    }
    return text;
}

}  // namespace

namespace detail {

json::object credentials_to_json_object(const Credentials& c) {
    json::object o;
    o["format"] = Credentials::json_format_version;
    o["token_type"] = c.token_type;
    o["access_token"] = c.access_token.reveal();
    o["refresh_token"] = c.refresh_token.reveal();
    o["scope"] = join_scope(c.scope);
    if (c.expires_at) o["expires_at"] = format_rfc3339(*c.expires_at);
    o["account_id"] = c.account_id;
    o["sub"] = c.sub;
    if (c.linking_profile) {
        o["linking_profile"] = json::object{{"provider_name", c.linking_profile->provider_name},
                                            {"profile_id", c.linking_profile->profile_id},
                                            {"profile_name", c.linking_profile->profile_name}};
    }
    if (!c.extra_json.empty()) o["extra"] = parse_extra_json(c.extra_json);
    return o;
}

Credentials credentials_from_json_value(const json::value& stored) {
    const json::object& object = as_object(stored, stored_source);
    return stored_format(object) == 0 ? read_format_0(object) : read_format_1(object);
}

}  // namespace detail

Credentials Credentials::from_token_response(std::string_view text, WallTime requested_at) {
    const json::value reply = parse_json(text, token_reply_source);
    const json::object& object = as_object(reply, token_reply_source);
    const FieldReader in(object, token_reply_source);
    Credentials c = read_common_fields(in);
    if (const auto lifetime = in.number("expires_in")) {
        // Whole seconds, counted from when the request was sent: the expiry errs early, and it
        // survives the stored form (RFC 3339 with whole seconds) unchanged.
        c.expires_at = saturating_add(std::chrono::floor<seconds>(requested_at), clamp_lifetime(*lifetime));
    }
    json::object extra;
    collect_unknown(object,
                    {"token_type", "access_token", "expires_in", "refresh_token", "scope", "account_id", "sub",
                     "linking_profile"},
                    extra);
    c.extra_json = extra_text(extra);
    return c;
}

std::string Credentials::to_json() const { return json::serialize(detail::credentials_to_json_object(*this)); }

Credentials Credentials::from_json(std::string_view text) {
    return detail::credentials_from_json_value(parse_json(text, stored_source, detail::stored_json_parse_options()));
}

bool Credentials::expires_within(WallTime now, std::chrono::seconds leeway) const noexcept {
    return expires_at.has_value() && *expires_at <= saturating_add(now, leeway);
}

const std::string& Credentials::account_key() const noexcept { return account_id.empty() ? sub : account_id; }

std::ostream& operator<<(std::ostream& os, const Credentials& c) {
    os << "Credentials{account=\"" << c.account_key() << "\", token_type=" << c.token_type << ", scope=\""
       << join_scope(c.scope) << "\", expires_at=" << (c.expires_at ? format_rfc3339(*c.expires_at) : "unknown")
       << ", access_token=" << c.access_token << ", refresh_token=" << c.refresh_token << '}';
    return os;
}

}  // namespace calbridge
