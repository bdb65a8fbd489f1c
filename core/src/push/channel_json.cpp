#include "push/channel_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace calbridge::detail {

namespace json = boost::json;

Channel read_channel(const json::object& item, std::string raw_json) {
    Channel c;
    const auto text = [&](std::string_view key) {
        const auto* v = item.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    c.channel_id = text("channel_id");
    c.callback_url = text("callback_url");
    if (const auto* f = item.if_contains("filters"); f != nullptr && f->is_object()) {
        const auto& filters = f->get_object();
        if (const auto* ids = filters.if_contains("calendar_ids"); ids != nullptr && ids->is_array()) {
            for (const auto& id : ids->get_array()) {
                if (id.is_string()) c.filters.calendar_ids.emplace_back(id.get_string());
            }
        }
        if (const auto* m = filters.if_contains("only_managed"); m != nullptr && m->is_bool()) {
            c.filters.only_managed = m->get_bool();
        }
    }
    c.raw_json = std::move(raw_json);
    return c;
}

std::string create_channel_body(std::string_view callback_url, const std::optional<ChannelFilters>& filters) {
    json::object body;
    body["callback_url"] = callback_url;
    if (filters) {
        json::object f;
        if (!filters->calendar_ids.empty()) {
            json::array ids;
            for (const auto& id : filters->calendar_ids) ids.emplace_back(id);
            f["calendar_ids"] = std::move(ids);
        }
        if (filters->only_managed) f["only_managed"] = *filters->only_managed;
        if (!f.empty()) body["filters"] = std::move(f);
    }
    return json::serialize(body);
}

}  // namespace calbridge::detail
