// The calls authenticated with the client secret (Client.request, availability, application
// calendars) and the other account calls, added to the Client and Session classes that
// client.cpp and session.cpp define. Queries and results cross as JSON text: the Python layer
// (calbridge/scheduling.py) turns them into typed values; the core checks queries before
// anything is sent.
#include "bindings.hpp"

#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/scheduling.hpp>
#include <calbridge/session.hpp>

#include <pybind11/stl.h>

namespace calbridge::python {

namespace {

ParticipationStatus participation_status(const std::string& name) {
    if (name == "accepted") return ParticipationStatus::accepted;
    if (name == "tentative") return ParticipationStatus::tentative;
    if (name == "declined") return ParticipationStatus::declined;
    throw InvalidArgumentError("status must be \"accepted\", \"tentative\" or \"declined\"");
}

std::optional<std::string_view> optional_view(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    return std::string_view(*text);
}

}  // namespace

void init_scheduling(py::module_& m) {
    auto client = py::reinterpret_borrow<py::class_<Client>>(m.attr("Client"));
    client
        .def("request",
             [](const Client& c, std::string method, std::string path,
                std::vector<std::pair<std::string, std::string>> query, std::optional<std::string> json_body,
                std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     return c.request(method, path, query, optional_view(json_body), call_options(timeout, token));
                 });
             },
             py::arg("method"), py::arg("path"), py::kw_only(), py::arg("query"), py::arg("json_body"),
             py::arg("timeout"), py::arg("cancel"))
        .def("availability",
             [](const Client& c, std::string query_json, std::optional<double> timeout, const Cancel& cancel) {
                 const auto query = AvailabilityQuery::from_json(query_json);
                 return run_blocking(cancel,
                     [&](const auto& token) { return c.availability(query, call_options(timeout, token)).raw_json; });
             },
             py::arg("query_json"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("create_application_calendar",
             [](const Client& c, std::string application_calendar_id, std::optional<double> timeout,
                const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     return c.create_application_calendar(application_calendar_id, call_options(timeout, token));
                 });
             },
             py::arg("application_calendar_id"), py::kw_only(), py::arg("timeout"), py::arg("cancel"));

    auto session = py::reinterpret_borrow<py::class_<Session>>(m.attr("Session"));
    session
        .def("availability",
             [](const Session& s, std::string query_json, std::optional<double> timeout, const Cancel& cancel) {
                 const auto query = AvailabilityQuery::from_json(query_json);
                 return run_blocking(cancel,
                     [&](const auto& token) { return s.availability(query, call_options(timeout, token)).raw_json; });
             },
             py::arg("query_json"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("change_participation_status",
             [](const Session& s, std::string calendar_id, std::string event_uid, std::string status,
                std::optional<double> timeout, const Cancel& cancel) {
                 const ParticipationStatus value = participation_status(status);
                 run_blocking(cancel, [&](const auto& token) {
                     s.change_participation_status(calendar_id, event_uid, value, call_options(timeout, token));
                 });
             },
             py::arg("calendar_id"), py::arg("event_uid"), py::arg("status"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("create_calendar",
             [](const Session& s, std::string profile_id, std::string name, std::optional<double> timeout,
                const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     return s.create_calendar(profile_id, name, call_options(timeout, token));
                 });
             },
             py::arg("profile_id"), py::arg("name"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("delete_all_events",
             [](const Session& s, std::optional<std::vector<std::string>> calendar_ids, std::optional<double> timeout,
                const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) {
                     if (calendar_ids) s.delete_all_events(*calendar_ids, call_options(timeout, token));
                     else s.delete_all_events(call_options(timeout, token));
                 });
             },
             py::kw_only(), py::arg("calendar_ids"), py::arg("timeout"), py::arg("cancel"))
        .def("upsert_availability_rule",
             [](const Session& s, std::string rule_json, std::optional<double> timeout, const Cancel& cancel) {
                 const auto rule = AvailabilityRule::from_json(rule_json);
                 return run_blocking(cancel, [&](const auto& token) {
                     return s.upsert_availability_rule(rule, call_options(timeout, token)).raw_json;
                 });
             },
             py::arg("rule_json"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("availability_rules",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     std::vector<std::string> out;
                     for (auto& rule : s.availability_rules(call_options(timeout, token))) {
                         out.push_back(std::move(rule.raw_json));
                     }
                     return out;
                 });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("availability_rule",
             [](const Session& s, std::string availability_rule_id, std::optional<double> timeout,
                const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     return s.availability_rule(availability_rule_id, call_options(timeout, token)).raw_json;
                 });
             },
             py::arg("availability_rule_id"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("delete_availability_rule",
             [](const Session& s, std::string availability_rule_id, std::optional<double> timeout,
                const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) {
                     s.delete_availability_rule(availability_rule_id, call_options(timeout, token));
                 });
             },
             py::arg("availability_rule_id"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("request_elevated_permissions",
             [](const Session& s, std::vector<std::pair<std::string, std::string>> permissions,
                std::optional<std::string> redirect_uri, std::optional<double> timeout, const Cancel& cancel) {
                 std::vector<CalendarPermission> list;
                 for (auto& [calendar_id, level] : permissions) list.push_back({calendar_id, level});
                 return run_blocking(cancel, [&](const auto& token) {
                     return s.request_elevated_permissions(list, optional_view(redirect_uri),
                                                           call_options(timeout, token))
                         .raw_json;
                 });
             },
             py::arg("permissions"), py::kw_only(), py::arg("redirect_uri"), py::arg("timeout"), py::arg("cancel"));
}

}  // namespace calbridge::python
