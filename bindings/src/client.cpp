// Client: configuration, the authorization link, the redirect back and the token endpoint.
// calbridge/client.py builds the friendly API on top of this.
#include "python_errors.hpp"

#include <calbridge/client.hpp>
#include <calbridge/transport.hpp>

#include <pybind11/functional.h>
#include <pybind11/stl.h>

namespace calbridge::python {

namespace {

std::function<void(const Credentials&)> refresh_hook(py::object callback) {
    if (callback.is_none()) return {};
    PyRef shared = share(std::move(callback));
    return [shared](const Credentials& credentials) {
        py::gil_scoped_acquire gil;
        try {
            (*shared)(credentials);
        } catch (const py::error_already_set& e) {
            throw_with_python_cause<UserCallbackError>("on_refresh", e);
        }
    };
}

std::function<void(std::string_view)> reauthorization_hook(py::object callback) {
    if (callback.is_none()) return {};
    PyRef shared = share(std::move(callback));
    return [shared](std::string_view account) {
        py::gil_scoped_acquire gil;
        try {
            (*shared)(py::str(account.data(), account.size()));
        } catch (const py::error_already_set& e) {
            // The core logs it and goes on to raise InvalidGrantError.
            throw_with_python_cause<UserCallbackError>("on_reauthorization_required", e);
        }
    };
}

std::optional<Secret> optional_secret(const std::optional<std::string>& value) {
    if (!value) return std::nullopt;
    return Secret(*value);
}

Client make_client(const std::string& config_json, const py::object& store, py::object logger,
                   py::object on_refresh, py::object on_reauthorization_required, std::optional<int> max_retries,
                   std::optional<double> initial_backoff, std::optional<double> max_backoff) {
    Config config = Config::from_json(config_json);
    ClientDependencies deps;
    deps.store = store_from_python(store);
    if (!logger.is_none()) {
        // The threshold follows the logger's level at each call (log.cpp).
        PythonLog log = make_python_log(std::move(logger));
        deps.log = std::move(log.sink);
        deps.log_threshold = std::move(log.threshold);
    }
    deps.on_refresh = refresh_hook(std::move(on_refresh));
    deps.on_reauthorization_required = reauthorization_hook(std::move(on_reauthorization_required));
    // None: the core's default (RetryPolicy), never a copy of it here.
    if (max_retries) {
        if (*max_retries < 0) throw InvalidArgumentError("max_retries must be >= 0");
        deps.retry.max_retries = *max_retries;
    }
    if (initial_backoff) deps.retry.initial_backoff = milliseconds_from_seconds(*initial_backoff, "initial_backoff");
    if (max_backoff) deps.retry.max_backoff = milliseconds_from_seconds(*max_backoff, "max_backoff");
    {
        py::gil_scoped_release release;  // reading a CA file, loading the system trust store
        deps.transport = make_default_transport(config);
    }
    return Client(std::move(config), std::move(deps));
}

}  // namespace

void init_client(py::module_& m) {
    py::class_<AuthorizationRequest>(m, "AuthorizationRequest")
        .def_readonly("url", &AuthorizationRequest::url)
        .def_readonly("redirect_uri", &AuthorizationRequest::redirect_uri)
        .def_readonly("state", &AuthorizationRequest::state)
        .def_property_readonly("code_verifier", [](const AuthorizationRequest& r) -> std::optional<std::string> {
            if (!r.code_verifier) return std::nullopt;
            return r.code_verifier->reveal();
        });

    py::class_<TransportStats>(m, "TransportStats")
        .def_readonly("requests", &TransportStats::requests)
        .def_readonly("connections_opened", &TransportStats::connections_opened)
        .def_readonly("tls_handshakes", &TransportStats::tls_handshakes);

    py::class_<Client>(m, "Client")
        .def(py::init(&make_client), py::arg("config_json"), py::kw_only(), py::arg("store"),
             py::arg("logger"), py::arg("on_refresh"), py::arg("on_reauthorization_required"),
             py::arg("max_retries") = py::none(), py::arg("initial_backoff") = py::none(),
             py::arg("max_backoff") = py::none())
        .def_property_readonly("client_id", [](const Client& c) { return c.config().client_id(); })
        .def_property_readonly("api_url", [](const Client& c) { return c.config().api_url(); })
        .def_property_readonly("app_url", [](const Client& c) { return c.config().app_url(); })
        .def_property_readonly("data_center",
                               [](const Client& c) { return std::string(data_center_name(c.config().data_center())); })
        .def_property_readonly("redirect_uris", [](const Client& c) { return c.config().redirect_uris(); })
        .def_property_readonly("leeway", [](const Client& c) { return static_cast<double>(c.config().leeway().count()); })
        .def("authorization_request",
             [](const Client& c, std::string_view redirect_uri, std::vector<std::string> scope,
                std::optional<std::string> state, bool pkce, std::optional<bool> avoid_linking,
                std::optional<std::string> link_token, std::optional<std::string> provider_name,
                std::optional<std::string> delegated_scope) {
                 AuthorizationOptions options;
                 options.scope = std::move(scope);
                 options.state = std::move(state);
                 options.pkce = pkce;
                 options.avoid_linking = avoid_linking;
                 options.link_token = std::move(link_token);
                 options.provider_name = std::move(provider_name);
                 options.delegated_scope = std::move(delegated_scope);
                 return c.authorization_request(redirect_uri, options);
             },
             py::arg("redirect_uri"), py::kw_only(), py::arg("scope"), py::arg("state"), py::arg("pkce"),
             py::arg("avoid_linking"), py::arg("link_token"), py::arg("provider_name"), py::arg("delegated_scope"))
        .def("complete_authorization",
             [](const Client& c, std::string callback, std::string expected_state, std::string redirect_uri,
                std::optional<std::string> code_verifier, std::optional<std::string> account,
                std::optional<double> timeout, const Cancel& cancel) {
                 const auto verifier = optional_secret(code_verifier);
                 return run_blocking(cancel, [&](const auto& token) {
                     return c.complete_authorization(callback, expected_state, redirect_uri, verifier,
                                                     call_options(timeout, token), account.value_or(""));
                 });
             },
             py::arg("callback"), py::kw_only(), py::arg("expected_state"), py::arg("redirect_uri"),
             py::arg("code_verifier"), py::arg("account"), py::arg("timeout"), py::arg("cancel"))
        .def("exchange_code",
             [](const Client& c, std::string code, std::string redirect_uri, std::optional<std::string> code_verifier,
                std::optional<std::string> account, std::optional<double> timeout, const Cancel& cancel) {
                 const Secret secret_code(std::move(code));
                 const auto verifier = optional_secret(code_verifier);
                 return run_blocking(cancel, [&](const auto& token) {
                     return c.exchange_code(secret_code, redirect_uri, verifier, call_options(timeout, token),
                                            account.value_or(""));
                 });
             },
             py::arg("code"), py::kw_only(), py::arg("redirect_uri"), py::arg("code_verifier"), py::arg("account"),
             py::arg("timeout"), py::arg("cancel"))
        .def("refresh",
             [](const Client& c, const Credentials& credentials, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel,
                     [&](const auto& token) { return c.refresh(credentials, call_options(timeout, token)); });
             },
             py::arg("credentials"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("revoke",
             [](const Client& c, const Credentials& credentials, std::optional<double> timeout, const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) { c.revoke(credentials, call_options(timeout, token)); });
             },
             py::arg("credentials"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("revoke_sub",
             [](const Client& c, std::string sub, std::optional<double> timeout, const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) { c.revoke_sub(sub, call_options(timeout, token)); });
             },
             py::arg("sub"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("transport_stats", &Client::transport_stats)
        .def("session", [](const Client& c, std::string_view account) { return c.session(account); },
             py::arg("account"))
        .def("session_for", [](const Client& c, const Credentials& credentials) { return c.session(credentials); },
             py::arg("credentials"));
}

}  // namespace calbridge::python
