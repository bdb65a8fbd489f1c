// Credentials and LinkingProfile as immutable Python objects. Times cross as Unix seconds; the
// Python layer (calbridge/credentials.py) turns them into aware datetimes.
#include "bindings.hpp"

#include <calbridge/credentials.hpp>
#include <calbridge/secret.hpp>

#include <pybind11/stl.h>

#include <sstream>

namespace calbridge::python {

namespace {

std::string repr_of(const Credentials& c) {
    std::ostringstream out;
    out << c;
    return out.str();
}

Credentials make_credentials(std::string access_token, std::string refresh_token, std::string token_type,
                             std::vector<std::string> scope, std::optional<double> expires_at,
                             std::string account_id, std::string sub,
                             std::optional<LinkingProfile> linking_profile, std::string extra_json) {
    Credentials c;
    c.access_token = Secret(std::move(access_token));
    c.refresh_token = Secret(std::move(refresh_token));
    c.token_type = std::move(token_type);
    c.scope = std::move(scope);
    if (expires_at) c.expires_at = wall_time_from_unix(*expires_at);
    c.account_id = std::move(account_id);
    c.sub = std::move(sub);
    c.linking_profile = std::move(linking_profile);
    c.extra_json = std::move(extra_json);
    // Round-trip through the stored form: it validates (e.g. extra_json must be an object).
    return Credentials::from_json(c.to_json());
}

}  // namespace

void init_credentials(py::module_& m) {
    py::class_<LinkingProfile>(m, "LinkingProfile", "The calendar profile an authorization linked.")
        .def(py::init([](std::string provider_name, std::string profile_id, std::string profile_name) {
                 return LinkingProfile{std::move(provider_name), std::move(profile_id), std::move(profile_name)};
             }),
             py::kw_only(), py::arg("provider_name"), py::arg("profile_id"), py::arg("profile_name"))
        .def_readonly("provider_name", &LinkingProfile::provider_name)
        .def_readonly("profile_id", &LinkingProfile::profile_id)
        .def_readonly("profile_name", &LinkingProfile::profile_name)
        .def("__eq__", [](const LinkingProfile& a, const LinkingProfile& b) { return a == b; }, py::arg("other"), py::is_operator())
        .def("__hash__", [](const LinkingProfile& p) {
            return py::hash(py::make_tuple(p.provider_name, p.profile_id, p.profile_name));
        })
        .def("__repr__", [](const LinkingProfile& p) {
            return "LinkingProfile(provider_name=" + std::string(py::repr(py::str(p.provider_name))) +
                   ", profile_id=" + std::string(py::repr(py::str(p.profile_id))) +
                   ", profile_name=" + std::string(py::repr(py::str(p.profile_name))) + ")";
        });

    py::class_<Credentials>(m, "Credentials", "One user's tokens (the core's object; see calbridge.Credentials).")
        .def(py::init(&make_credentials), py::kw_only(), py::arg("access_token"), py::arg("refresh_token"),
             py::arg("token_type"), py::arg("scope"), py::arg("expires_at"), py::arg("account_id"), py::arg("sub"),
             py::arg("linking_profile"), py::arg("extra_json"))
        .def_property_readonly("access_token", [](const Credentials& c) { return c.access_token.reveal(); })
        .def_property_readonly("refresh_token", [](const Credentials& c) { return c.refresh_token.reveal(); })
        .def_readonly("token_type", &Credentials::token_type)
        .def_readonly("scope", &Credentials::scope)
        .def_property_readonly("expires_at", [](const Credentials& c) -> std::optional<double> {
            if (!c.expires_at) return std::nullopt;
            return unix_seconds(*c.expires_at);
        })
        .def_readonly("account_id", &Credentials::account_id)
        .def_readonly("sub", &Credentials::sub)
        .def_readonly("linking_profile", &Credentials::linking_profile)
        .def_readonly("extra_json", &Credentials::extra_json)
        .def_property_readonly("account_key", &Credentials::account_key)
        .def("to_json", &Credentials::to_json)
        .def_static("from_json", [](std::string_view text) { return Credentials::from_json(text); }, py::arg("text"))
        .def_static("from_token_response",
                    [](std::string_view text, double requested_at) {
                        return Credentials::from_token_response(text, wall_time_from_unix(requested_at));
                    },
                    py::arg("text"), py::arg("requested_at"))
        .def("expires_within",
             [](const Credentials& c, double now, double leeway) {
                 const auto ms = milliseconds_from_seconds(leeway, "leeway");
                 return c.expires_within(wall_time_from_unix(now),
                                         std::chrono::duration_cast<std::chrono::seconds>(ms));
             },
             py::arg("now"), py::arg("leeway"))
        .def("__eq__", [](const Credentials& a, const Credentials& b) { return a == b; }, py::arg("other"), py::is_operator())
        .def("__repr__", &repr_of);

    m.def("redact", [](std::string value) { return Secret(std::move(value)).redacted(); }, py::arg("value"),
          "A secret's printable form: the last 4 characters when it is 20 or longer, else ****.");
}

}  // namespace calbridge::python
