#include "api/results.hpp"

#include <calbridge/authorize.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

namespace calbridge::detail {

namespace json = boost::json;

namespace {

std::string text(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool flag(const json::object& obj, std::string_view key, bool otherwise = false) {
    const auto* v = obj.if_contains(key);
    return v != nullptr && v->is_bool() ? v->get_bool() : otherwise;
}

// "start": "2026-11-28T09:00:00Z", or {"time": "...", "tzid": "Europe/London"}.
EventTime event_time(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    if (v == nullptr) return {};
    if (v->is_string()) return EventTime::read(v->get_string());
    if (v->is_object()) return EventTime::read(text(v->get_object(), "time"), text(v->get_object(), "tzid"));
    return {};
}

// "created": "2026-11-28T09:00:00Z"; std::nullopt when absent or unreadable, like event_time.
std::optional<WallTime> instant(const std::string& text) {
    if (text.empty()) return std::nullopt;
    return parse_rfc3339(text);
}

// "location": {"description": "..."}; some providers' replies carry a bare string.
std::string location(const json::object& obj) {
    const auto* v = obj.if_contains("location");
    if (v == nullptr) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_object()) return text(v->get_object(), "description");
    return {};
}

const json::object& object_member(const json::object& reply, std::string_view key, std::string_view what) {
    const auto* v = reply.if_contains(key);
    if (v == nullptr || !v->is_object()) {
        throw ProtocolError(std::string(what) + ": the reply has no \"" + std::string(key) + "\" object");
    }
    return v->get_object();
}

// Finds the text of each item of the top-level array member `key` of a reply that
// json::parse has already accepted, so an item's raw_json is its own text from the body rather
// than a re-serialization. Returns nothing (the caller serializes) unless the key occurs once
// at the top level, no top-level key has an escape, and the key holds exactly `count` items.
class ItemTexts {
public:
    static std::vector<std::string_view> find(std::string_view body, std::string_view key, std::size_t count) {
        ItemTexts scan(body);
        std::vector<std::string_view> items;
        std::size_t matches = 0;
        scan.space();
        if (!scan.take('{')) return {};
        for (;;) {
            scan.space();
            if (scan.take('}') || scan.at_end()) break;
            const std::string_view name = scan.string();
            if (name.find('\\') != std::string_view::npos) return {};  // might spell the key too
            scan.space();
            if (!scan.take(':')) return {};
            scan.space();
            if (name == key) {
                if (++matches > 1 || !scan.take('[')) return {};
                for (;;) {
                    scan.space();
                    if (scan.take(']') || scan.at_end()) break;
                    items.push_back(scan.value());
                    scan.space();
                    scan.take(',');
                }
            } else {
                scan.value();
            }
            scan.space();
            scan.take(',');
        }
        if (matches != 1 || items.size() != count) return {};
        return items;
    }

private:
    explicit ItemTexts(std::string_view text) : text_(text) {}

    bool at_end() const noexcept { return pos_ >= text_.size(); }
    bool take(char c) noexcept {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    void space() noexcept {
        while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
    }
    // At a '"': the raw text between the quotes (escapes left as they are). Most of a reply is
    // inside strings, so their ends are found with memchr.
    std::string_view string() noexcept {
        const char* const data = text_.data();
        const std::size_t start = pos_ + 1;
        std::size_t at = start;
        for (;;) {
            const void* quote = at < text_.size() ? std::memchr(data + at, '"', text_.size() - at) : nullptr;
            if (quote == nullptr) {
                pos_ = text_.size();
                return text_.substr(start < text_.size() ? start : text_.size());
            }
            const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(quote) - data);
            std::size_t backslashes = 0;
            while (q - backslashes > start && data[q - backslashes - 1] == '\\') ++backslashes;
            if (backslashes % 2 == 0) {
                pos_ = q + 1;
                return text_.substr(start, q - start);
            }
            at = q + 1;  // an escaped quote
        }
    }
    // Any value: its text.
    std::string_view value() noexcept {
        const std::size_t start = pos_;
        if (at_end()) return {};
        const char first = text_[pos_];
        if (first == '"') {
            string();
        } else if (first == '{' || first == '[') {
            std::size_t depth = 0;
            while (!at_end()) {
                const char c = text_[pos_];
                if (c == '"') {
                    string();
                    continue;
                }
                ++pos_;
                if (c == '{' || c == '[') {
                    ++depth;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    break;
                }
            }
        } else {
            while (!at_end() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' && text_[pos_] != ' ' &&
                   text_[pos_] != '\t' && text_[pos_] != '\n' && text_[pos_] != '\r') {
                ++pos_;
            }
        }
        return text_.substr(start, std::min(pos_, text_.size()) - start);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// A stack buffer for the parse of a typical reply; larger ones continue on the heap.
constexpr std::size_t kParseBufferBytes = 8192;

// The reply body as a JSON object, its memory from `resource`; ProtocolError otherwise.
json::value parse_reply(std::string_view body, std::string_view what, json::storage_ptr resource) {
    boost::system::error_code ec;
    json::value root = json::parse(body, ec, std::move(resource));
    if (ec) throw ProtocolError(std::string(what) + ": the reply is not JSON (" + ec.message() + ")");
    if (!root.is_object()) throw ProtocolError(std::string(what) + ": the reply is not a JSON object");
    return root;
}

std::string raw_text(const json::object& item, const std::vector<std::string_view>& texts, std::size_t i) {
    return texts.empty() ? json::serialize(item) : std::string(texts[i]);
}

}  // namespace

json::object parse_reply_object(std::string_view body, std::string_view what) {
    return std::move(parse_reply(body, what, {}).get_object());
}

const json::array& array_of_objects(const json::object& reply, std::string_view key, std::string_view what) {
    const auto* v = reply.if_contains(key);
    if (v == nullptr || !v->is_array()) {
        throw ProtocolError(std::string(what) + ": the reply has no \"" + std::string(key) + "\" array");
    }
    for (const auto& item : v->get_array()) {
        if (!item.is_object()) {
            throw ProtocolError(std::string(what) + ": \"" + std::string(key) + "\" holds something other than objects");
        }
    }
    return v->get_array();
}

Calendar read_calendar(const json::object& item) {
    Calendar c = read_calendar_fields(item);
    c.raw_json = json::serialize(item);
    return c;
}

Calendar read_calendar_fields(const json::object& item) {
    Calendar c;
    c.provider_name = text(item, "provider_name");
    c.profile_id = text(item, "profile_id");
    c.profile_name = text(item, "profile_name");
    c.calendar_id = text(item, "calendar_id");
    c.calendar_name = text(item, "calendar_name");
    c.readonly = flag(item, "calendar_readonly");
    c.deleted = flag(item, "calendar_deleted");
    c.primary = flag(item, "calendar_primary");
    c.permission_level = text(item, "permission_level");
    return c;
}

Event read_event(const json::object& item) {
    Event e;
    e.calendar_id = text(item, "calendar_id");
    e.event_uid = text(item, "event_uid");
    e.event_id = text(item, "event_id");
    e.summary = text(item, "summary");
    e.description = text(item, "description");
    e.start = event_time(item, "start");
    e.end = event_time(item, "end");
    e.deleted = flag(item, "deleted");
    e.created = text(item, "created");
    e.updated = text(item, "updated");
    e.created_at = instant(e.created);
    e.updated_at = instant(e.updated);
    e.location = location(item);
    e.participation_status = text(item, "participation_status");
    e.transparency = text(item, "transparency");
    e.status = text(item, "status");
    e.recurring = flag(item, "recurring");
    e.raw_json = json::serialize(item);
    return e;
}

FreeBusyPeriod read_free_busy_period(const json::object& item) {
    FreeBusyPeriod p;
    p.calendar_id = text(item, "calendar_id");
    p.start = event_time(item, "start");
    p.end = event_time(item, "end");
    p.free_busy_status = text(item, "free_busy_status");
    p.raw_json = json::serialize(item);
    return p;
}

Profile read_profile(const json::object& item) {
    Profile p = read_profile_fields(item);
    p.raw_json = json::serialize(item);
    return p;
}

Profile read_profile_fields(const json::object& item) {
    Profile p;
    p.provider_name = text(item, "provider_name");
    p.profile_id = text(item, "profile_id");
    p.profile_name = text(item, "profile_name");
    p.connected = flag(item, "profile_connected", true);
    if (const auto* v = item.if_contains("profile_relink_url"); v != nullptr && v->is_string()) {
        p.relink_url = std::string(v->get_string());
    }
    return p;
}

namespace {

// The objects of the reply's array `key`, each read by `read_fields`, each raw_json the server's
// own text of that item. Parsed with a stack buffer first: these are the hot calls.
template <class T, class ReadFields>
std::vector<T> read_listed(std::string_view body, std::string_view key, std::string_view what,
                           ReadFields read_fields) {
    alignas(std::max_align_t) unsigned char buffer[kParseBufferBytes];
    json::monotonic_resource resource(buffer, sizeof buffer);
    const json::value root = parse_reply(body, what, &resource);
    const json::array& items = array_of_objects(root.get_object(), key, what);
    const std::vector<std::string_view> texts = ItemTexts::find(body, key, items.size());
    std::vector<T> out;
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        out.push_back(read_fields(items[i].get_object()));
        out.back().raw_json = raw_text(items[i].get_object(), texts, i);
    }
    return out;
}

}  // namespace

std::vector<Calendar> read_calendars(std::string_view body) {
    return read_listed<Calendar>(body, "calendars", "list calendars", read_calendar_fields);
}

Account read_account(std::string_view body) {
    const json::object reply = parse_reply_object(body, "account");
    const json::object& obj = object_member(reply, "account", "account");
    Account a;
    a.account_id = text(obj, "account_id");
    a.email = text(obj, "email");
    a.name = text(obj, "name");
    a.scope = split_scope(text(obj, "scope"));
    a.default_tzid = text(obj, "default_tzid");
    a.raw_json = json::serialize(obj);
    return a;
}

UserInfo read_userinfo(std::string_view body) {
    const json::object reply = parse_reply_object(body, "userinfo");
    UserInfo u;
    u.sub = text(reply, "sub");
    u.email = text(reply, "email");
    u.name = text(reply, "name");
    u.zoneinfo = text(reply, "zoneinfo");
    u.type = text(reply, "cronofy.type");
    if (const auto* data = reply.if_contains("cronofy.data"); data != nullptr && data->is_object()) {
        if (data->get_object().contains("profiles")) {
            for (const auto& item : array_of_objects(data->get_object(), "profiles", "userinfo")) {
                u.profiles.push_back(read_profile(item.get_object()));
            }
        }
    }
    u.raw_json = json::serialize(reply);
    return u;
}

std::vector<Profile> read_profiles(std::string_view body) {
    return read_listed<Profile>(body, "profiles", "profiles", read_profile_fields);
}

}  // namespace calbridge::detail
