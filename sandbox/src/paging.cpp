#include "paging.hpp"

#include "crypto.hpp"
#include "json_util.hpp"

#include <boost/json/serialize.hpp>

namespace calbridge::sandbox {

namespace {
constexpr std::size_t mac_bytes = 16;
}

PageSigner::PageSigner() : key_(random_bytes(32)) {}

std::string PageSigner::seal(const PageRef& ref) const {
    json::object o;
    o["k"] = ref.kind;
    o["c"] = ref.client_id;
    o["a"] = ref.account_id;
    o["q"] = ref.query;
    o["p"] = ref.page;
    o["e"] = ref.expires_at;
    const std::string payload = base64url_encode(json::serialize(o));
    return payload + "." + base64url_encode(hmac_sha256(key_, payload).substr(0, mac_bytes));
}

std::optional<PageRef> PageSigner::open(std::string_view id, std::int64_t now) const {
    const auto dot = id.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view payload = id.substr(0, dot);
    const auto mac = base64url_decode(id.substr(dot + 1));
    if (!mac || !constant_time_equal(*mac, hmac_sha256(key_, payload).substr(0, mac_bytes))) return std::nullopt;
    const auto text = base64url_decode(payload);
    if (!text) return std::nullopt;
    const auto v = parse_json(*text);
    if (!v || !v->is_object()) return std::nullopt;
    const auto& o = v->get_object();
    try {
        PageRef ref;
        ref.kind = std::string(o.at("k").as_string());
        ref.client_id = std::string(o.at("c").as_string());
        ref.account_id = std::string(o.at("a").as_string());
        ref.query = o.at("q").as_object();
        ref.page = static_cast<int>(o.at("p").as_int64());
        ref.expires_at = o.at("e").as_int64();
        if (now >= ref.expires_at) return std::nullopt;
        return ref;
    } catch (const std::exception&) {
        return std::nullopt;  // signed by us, so only a change of format gets here
    }
}

}  // namespace calbridge::sandbox
