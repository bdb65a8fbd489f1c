// What the end-to-end tests against calbridge-sandbox share: a client configured for a fresh
// sandbox, and the sandbox user connected through the consent page as a browser would.
#pragma once

#include "sandbox_process.hpp"
#include "support/catch.hpp"

#include <calbridge/client.hpp>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <utility>

namespace calbridge::test {

inline constexpr const char* sandbox_redirect_uri = "http://localhost:8080/callback";

// A configuration for `sb`'s default application (with another secret when given one).
inline Config sandbox_config(const SandboxProcess& sb, const std::string& secret = {}) {
    ClientOptions o;
    o.client_id = sb.client_id;
    o.client_secret = Secret(secret.empty() ? sb.client_secret : secret);
    o.api_url = sb.api_url;
    o.app_url = sb.app_url;
    o.tls.source = TlsTrust::Source::ca_file;
    o.tls.ca_file = sb.ca_file;
    o.timeouts.request = std::chrono::seconds(60);  // sanitizer builds on a loaded machine
    return Config(std::move(o));
}

// A sandbox, a client of its default application, and the sandbox user connected on demand.
struct SandboxFixture {
    SandboxProcess sandbox;
    Config config = sandbox_config(sandbox);
    std::shared_ptr<Transport> transport = make_default_transport(config);
    Client client = make_client(config);

    Client make_client(const Config& c) {
        ClientDependencies deps;
        deps.transport = transport;
        return Client(c, deps);
    }

    // The consent page opened, its form read and "Allow access" pressed for acc_sandbox_ada;
    // the redirect back completes the authorization.
    Credentials connect() {
        AuthorizationOptions auth;
        auth.scope = {"read_account", "list_calendars", "read_events", "create_event", "delete_event"};
        const AuthorizationRequest request = client.authorization_request(sandbox_redirect_uri, auth);
        const HttpResponse page = send(*transport, "GET", request.url);
        REQUIRE(page.status == 200);
        std::smatch form, pending;
        REQUIRE(std::regex_search(page.body, form, std::regex(R"re(<form method="post" action="([^"]+)")re")));
        REQUIRE(std::regex_search(page.body, pending, std::regex(R"re(name="authorization" value="([^"]+)")re")));
        const HttpResponse done = send(*transport, "POST", sandbox.app_url + form[1].str(),
                                       {{"Content-Type", "application/x-www-form-urlencoded"}},
                                       "authorization=" + pending[1].str() + "&user=acc_sandbox_ada&decision=approve");
        REQUIRE(done.status == 302);
        return client.complete_authorization(*done.header("Location"), request);
    }
};

}  // namespace calbridge::test
