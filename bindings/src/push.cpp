// Push notifications: verifying and reading pushes (with the client's secret), and the channel
// calls of a session. Results are plain tuples; calbridge/push.py makes them typed values.
#include "bindings.hpp"

#include <calbridge/client.hpp>
#include <calbridge/config.hpp>
#include <calbridge/push.hpp>
#include <calbridge/session.hpp>

#include <pybind11/stl.h>

namespace calbridge::python {

namespace {

// (channel_id, callback_url, calendar_ids, only_managed, raw_json)
py::tuple channel_tuple(const Channel& c) {
    return py::make_tuple(c.channel_id, c.callback_url, c.filters.calendar_ids, c.filters.only_managed, c.raw_json);
}

}  // namespace

void init_push(py::module_& m) {
    m.def(
        "verify_push",
        [](const Client& client, std::optional<std::string> signature_header, py::bytes body,
           std::vector<std::string> previous_secrets) {
            const std::string_view data = body;  // kept alive by the caller's reference
            std::vector<Secret> secrets{client.config().client_secret()};
            for (auto& s : previous_secrets) secrets.emplace_back(std::move(s));
            py::gil_scoped_release release;
            verify_push(signature_header.value_or(std::string()), data, secrets);
        },
        py::arg("client"), py::arg("signature_header"), py::arg("body"), py::arg("previous_secrets"));

    // (type, type_name, changes_since as Unix seconds or None, channel tuple or None, raw_json)
    m.def(
        "parse_push",
        [](py::bytes body) {
            const PushNotification n = parse_push(std::string_view(body));
            py::object since = py::none();
            if (n.changes_since) since = py::float_(unix_seconds(*n.changes_since));
            py::object channel = py::none();
            if (n.channel) channel = channel_tuple(*n.channel);
            return py::make_tuple(std::string(push_type_name(n.type)), n.type_name, since, channel, n.raw_json);
        },
        py::arg("body"));

    m.def(
        "create_channel",
        [](const Session& s, std::string callback_url, std::optional<std::vector<std::string>> calendar_ids,
           std::optional<bool> only_managed, std::optional<double> timeout, const Cancel& cancel) {
            std::optional<ChannelFilters> filters;
            if (calendar_ids || only_managed) {
                filters.emplace();
                if (calendar_ids) filters->calendar_ids = std::move(*calendar_ids);
                filters->only_managed = only_managed;
            }
            const Channel c = run_blocking(cancel,
                [&](const auto& token) { return s.create_channel(callback_url, filters, call_options(timeout, token)); });
            return channel_tuple(c);
        },
        py::arg("session"), py::arg("callback_url"), py::kw_only(), py::arg("calendar_ids"), py::arg("only_managed"),
        py::arg("timeout"), py::arg("cancel"));

    m.def(
        "list_channels",
        [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
            const auto channels =
                run_blocking(cancel, [&](const auto& token) { return s.list_channels(call_options(timeout, token)); });
            py::list out;
            for (const auto& c : channels) out.append(channel_tuple(c));
            return out;
        },
        py::arg("session"), py::kw_only(), py::arg("timeout"), py::arg("cancel"));

    m.def(
        "close_channel",
        [](const Session& s, std::string channel_id, std::optional<double> timeout, const Cancel& cancel) {
            run_blocking(cancel, [&](const auto& token) { s.close_channel(channel_id, call_options(timeout, token)); });
        },
        py::arg("session"), py::arg("channel_id"), py::kw_only(), py::arg("timeout"), py::arg("cancel"));
}

}  // namespace calbridge::python
