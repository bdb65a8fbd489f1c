#include "settings.hpp"

#include "json_util.hpp"

namespace calbridge::sandbox {

namespace {

constexpr std::int64_t max_lifetime = 10LL * 365 * 86400;

// "off", "published" or {"per_second": n, "per_minute": n}.
RateLimit read_rate_limit(const json::value& v) {
    if (v.is_string()) {
        if (v.get_string() == "off") return {};
        if (v.get_string() == "published") return RateLimit::published();
    } else if (v.is_object()) {
        const auto& o = v.get_object();
        check_keys(o, "rate_limit", {"per_second", "per_minute"});
        RateLimit r;
        r.per_second = static_cast<int>(get_int(o, "per_second", 0, 1000000).value_or(0));
        r.per_minute = static_cast<int>(get_int(o, "per_minute", 0, 60000000).value_or(0));
        return r;
    }
    throw InputError("rate_limit", "errors.invalid",
                     "must be \"off\", \"published\" or {\"per_second\": n, \"per_minute\": n}");
}

json::value write_rate_limit(const RateLimit& r) {
    if (!r.enabled()) return "off";
    json::object o;
    o["per_second"] = r.per_second;
    o["per_minute"] = r.per_minute;
    return o;
}

void read_policy_field(const json::object& o, std::optional<int>& field, std::string_view key,
                       std::int64_t min) {
    if (auto v = get_int(o, key, min, max_lifetime)) field = static_cast<int>(*v);
}

}  // namespace

Policy PolicyOverrides::apply(Policy base) const {
    if (access_token_lifetime) base.access_token_lifetime = *access_token_lifetime;
    if (code_lifetime) base.code_lifetime = *code_lifetime;
    if (refresh_rotation) base.refresh_rotation = *refresh_rotation;
    if (refresh_reuse_detection) base.refresh_reuse_detection = *refresh_reuse_detection;
    if (pkce_required) base.pkce_required = *pkce_required;
    if (rate_limit) base.rate_limit = *rate_limit;
    return base;
}

void read_overrides(const json::object& o, PolicyOverrides& p) {
    check_keys(o, "settings", {"access_token_lifetime", "code_lifetime", "refresh_rotation",
                               "refresh_reuse_detection", "pkce_required", "rate_limit"});
    read_policy_field(o, p.access_token_lifetime, "access_token_lifetime", 1);
    read_policy_field(o, p.code_lifetime, "code_lifetime", 1);
    if (auto v = get_bool(o, "refresh_rotation")) p.refresh_rotation = *v;
    if (auto v = get_bool(o, "refresh_reuse_detection")) p.refresh_reuse_detection = *v;
    if (auto v = get_bool(o, "pkce_required")) p.pkce_required = *v;
    if (const auto* v = o.if_contains("rate_limit"); v != nullptr && !v->is_null()) {
        p.rate_limit = read_rate_limit(*v);
    }
}

json::object write_overrides(const PolicyOverrides& p) {
    json::object o;
    if (p.access_token_lifetime) o["access_token_lifetime"] = *p.access_token_lifetime;
    if (p.code_lifetime) o["code_lifetime"] = *p.code_lifetime;
    if (p.refresh_rotation) o["refresh_rotation"] = *p.refresh_rotation;
    if (p.refresh_reuse_detection) o["refresh_reuse_detection"] = *p.refresh_reuse_detection;
    if (p.pkce_required) o["pkce_required"] = *p.pkce_required;
    if (p.rate_limit) o["rate_limit"] = write_rate_limit(*p.rate_limit);
    return o;
}

void read_settings(const json::object& o, Settings& s) {
    check_keys(o, "settings", {"access_token_lifetime", "code_lifetime", "refresh_rotation",
                               "refresh_reuse_detection", "pkce_required", "rate_limit", "page_size",
                               "page_lifetime", "last_page_next_page"});
    Settings next = s;
    if (auto v = get_int(o, "access_token_lifetime", 1, max_lifetime)) next.policy.access_token_lifetime = static_cast<int>(*v);
    if (auto v = get_int(o, "code_lifetime", 1, max_lifetime)) next.policy.code_lifetime = static_cast<int>(*v);
    if (auto v = get_bool(o, "refresh_rotation")) next.policy.refresh_rotation = *v;
    if (auto v = get_bool(o, "refresh_reuse_detection")) next.policy.refresh_reuse_detection = *v;
    if (auto v = get_bool(o, "pkce_required")) next.policy.pkce_required = *v;
    if (const auto* v = o.if_contains("rate_limit"); v != nullptr && !v->is_null()) {
        next.policy.rate_limit = read_rate_limit(*v);
    }
    if (auto v = get_int(o, "page_size", 1, 10000)) next.page_size = static_cast<int>(*v);
    if (auto v = get_int(o, "page_lifetime", 1, max_lifetime)) next.page_lifetime = static_cast<int>(*v);
    if (auto v = get_string(o, "last_page_next_page")) {
        if (*v != "omit" && *v != "empty") throw InputError("last_page_next_page", "errors.invalid", "must be \"omit\" or \"empty\"");
        next.empty_last_next_page = *v == "empty";
    }
    s = next;  // all or nothing
}

json::object write_settings(const Settings& s) {
    json::object o;
    o["access_token_lifetime"] = s.policy.access_token_lifetime;
    o["code_lifetime"] = s.policy.code_lifetime;
    o["refresh_rotation"] = s.policy.refresh_rotation;
    o["refresh_reuse_detection"] = s.policy.refresh_reuse_detection;
    o["pkce_required"] = s.policy.pkce_required;
    o["rate_limit"] = write_rate_limit(s.policy.rate_limit);
    o["page_size"] = s.page_size;
    o["page_lifetime"] = s.page_lifetime;
    o["last_page_next_page"] = s.empty_last_next_page ? "empty" : "omit";
    return o;
}

}  // namespace calbridge::sandbox
