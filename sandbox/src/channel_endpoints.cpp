// POST/GET /v1/channels and DELETE /v1/channels/{channel_id} (docs/PROTOCOL.md §7): channels of the
// bearer's grant (application and account). A new channel gets a verification push.
#include "crypto.hpp"
#include "endpoints.hpp"
#include "json_util.hpp"
#include "push.hpp"

namespace calbridge::sandbox {

Response create_channel(Context& ctx, const Request& req, const Bearer& b) {
    auto v = parse_json(req.body);
    if (!v || !v->is_object()) return validation_error({{"request", "errors.invalid_json", "the body must be a JSON object"}});
    const json::object& body = v->as_object();
    std::vector<FieldError> errors;
    Channel c;
    c.channel_id = "chn_" + random_hex(24);
    c.client_id = b.client_id;
    c.account_id = b.account_id;
    const json::value* url = body.if_contains("callback_url");
    if (url == nullptr) {
        errors.push_back({"callback_url", "errors.required", "callback_url is required"});
    } else if (!url->is_string()) {
        errors.push_back({"callback_url", "errors.invalid", "callback_url must be a string"});
    } else if (auto problem = callback_url_problem(url->get_string()); !problem.empty()) {
        errors.push_back({"callback_url", "errors.invalid", problem});
    } else {
        c.callback_url = std::string(url->get_string());
    }
    if (const json::value* f = body.if_contains("filters"); f != nullptr && !f->is_null()) {
        if (!f->is_object()) {
            errors.push_back({"filters", "errors.invalid", "filters must be an object"});
        } else {
            const json::object& filters = f->as_object();
            for (const auto& kv : filters) {
                if (kv.key() != "calendar_ids" && kv.key() != "only_managed") {
                    errors.push_back({"filters." + std::string(kv.key()), "errors.unknown", "unknown filter"});
                }
            }
            if (const json::value* ids = filters.if_contains("calendar_ids")) {
                bool ok = ids->is_array();
                std::vector<std::string> list;
                if (ok) {
                    for (const auto& id : ids->as_array()) {
                        if (!id.is_string() || id.get_string().empty()) ok = false;
                        else list.emplace_back(id.get_string());
                    }
                }
                if (!ok) errors.push_back({"filters.calendar_ids", "errors.invalid", "must be an array of calendar ids"});
                else c.calendar_ids = std::move(list);
            }
            if (const json::value* om = filters.if_contains("only_managed")) {
                if (!om->is_bool()) errors.push_back({"filters.only_managed", "errors.invalid", "must be true or false"});
                else c.only_managed = om->get_bool();
            }
        }
    }
    if (!errors.empty()) return validation_error(errors);
    if (c.calendar_ids) {
        std::vector<FieldError> unknown;
        ctx.state.directory.read_user(b.account_id, [&](const User* u) {
            for (const auto& id : *c.calendar_ids) {
                const Calendar* cal = u != nullptr ? u->calendar(id) : nullptr;
                if (cal == nullptr || !u->calendar_visible(*cal)) {
                    unknown.push_back({"filters.calendar_ids", "errors.not_found", "unknown calendar " + id});
                }
            }
            return 0;
        });
        if (!unknown.empty()) return validation_error(unknown);
    }
    ctx.state.channels.add(c);
    push_verification(ctx.state, c);
    json::object out;
    out["channel"] = write_channel(c);
    return json_response(200, out);
}

Response list_channels(Context& ctx, const Bearer& b) {
    json::array list;
    for (const auto& c : ctx.state.channels.list(b.client_id, b.account_id)) list.push_back(write_channel(c));
    json::object out;
    out["channels"] = std::move(list);
    return json_response(200, out);
}

Response close_channel(Context& ctx, const Bearer& b, const std::string& channel_id) {
    if (!ctx.state.channels.remove(b.client_id, b.account_id, channel_id)) {
        return api_error(404, "not_found", "unknown channel");
    }
    return empty_response(202);
}

}  // namespace calbridge::sandbox
