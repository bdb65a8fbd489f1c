// The whole Individual Connect flow with the C++ core.
//
// Against a sandbox (tests/capi/run_with_sandbox.py sets these from the sandbox's ready file):
//   CALBRIDGE_SANDBOX_API_URL, _APP_URL, _CA_FILE, _CLIENT_ID, _CLIENT_SECRET, _ADMIN_TOKEN
// the consent is given headless through the sandbox's admin API. Against a real account:
//   CALBRIDGE_CLIENT_ID, CALBRIDGE_CLIENT_SECRET, CALBRIDGE_REDIRECT_URI [, CALBRIDGE_DATA_CENTER]
// it prints the authorization link and reads the URL the browser came back to from stdin.
#include <calbridge/client.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/transport.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

// The sandbox's headless consent: what its seeded user (acc_sandbox_ada) pressing "Approve"
// would cause. Sent with the library's own transport, which trusts the sandbox's CA from the configuration.
std::string sandbox_consent(const calbridge::Config& config, const std::string& authorization_url) {
    auto transport = calbridge::make_default_transport(config);
    calbridge::HttpRequest request;
    request.method = "POST";
    request.url = config.api_url() + "/admin/consent";
    request.headers = {{"Authorization", "Bearer " + env("CALBRIDGE_SANDBOX_ADMIN_TOKEN")},
                       {"Content-Type", "application/json"}};
    std::string escaped;  // the URL is ASCII without quotes or backslashes; be safe anyway
    for (char c : authorization_url) {
        if (c == '"' || c == '\\') escaped += '\\';
        escaped += c;
    }
    request.body = R"({"url": ")" + escaped + R"(", "user": "acc_sandbox_ada", "decision": "approve"})";
    calbridge::CallContext context;
    context.deadline = calbridge::SteadyTime::clock::now() + std::chrono::seconds(10);
    const auto response = transport->send(request, context);
    const auto start = response.body.find("\"redirect\":\"");
    if (response.status != 200 || start == std::string::npos) {
        throw std::runtime_error("the sandbox refused the consent (HTTP " + std::to_string(response.status) + ")");
    }
    const auto value = start + 12;
    return response.body.substr(value, response.body.find('"', value) - value);
}

int run() {
    const bool sandbox = !env("CALBRIDGE_SANDBOX_API_URL").empty();
    calbridge::ClientOptions options;
    std::string redirect_uri;
    if (sandbox) {
        options.client_id = env("CALBRIDGE_SANDBOX_CLIENT_ID");
        options.client_secret = calbridge::Secret(env("CALBRIDGE_SANDBOX_CLIENT_SECRET"));
        options.api_url = env("CALBRIDGE_SANDBOX_API_URL");
        options.app_url = env("CALBRIDGE_SANDBOX_APP_URL");
        options.tls = {calbridge::TlsTrust::Source::ca_file, env("CALBRIDGE_SANDBOX_CA_FILE"), ""};
        redirect_uri = "http://127.0.0.1:8080/callback";
    } else {
        options.client_id = env("CALBRIDGE_CLIENT_ID");
        options.client_secret = calbridge::Secret(env("CALBRIDGE_CLIENT_SECRET"));
        if (!env("CALBRIDGE_DATA_CENTER").empty()) {
            options.data_center = calbridge::parse_data_center(env("CALBRIDGE_DATA_CENTER"));
        }
        redirect_uri = env("CALBRIDGE_REDIRECT_URI");
    }
    const calbridge::Client client{calbridge::Config(std::move(options))};

    calbridge::AuthorizationOptions auth;
    auth.scope = {"read_account", "list_calendars", "read_events"};
    auth.pkce = true;
    const auto request = client.authorization_request(redirect_uri, auth);
    std::cout << "1. authorization link: " << request.url << "\n";

    std::string callback;
    if (sandbox) {
        callback = sandbox_consent(client.config(), request.url);
        std::cout << "2. the sandbox's user approved\n";
    } else {
        std::cout << "2. open the link, approve, then paste the URL the browser came back to:\n";
        std::getline(std::cin, callback);
    }

    const auto credentials = client.complete_authorization(callback, request);
    std::cout << "3. connected: " << credentials << "\n";

    const auto session = client.session(credentials.account_key());
    for (const auto& calendar : session.calendars()) {
        std::cout << "4. calendar " << calendar.calendar_id << ": " << calendar.calendar_name << "\n";
    }
    client.revoke(session.credentials());
    std::cout << "5. revoked\n";
    return 0;
}

}  // namespace

int main() {
    try {
        return run();
    } catch (const calbridge::Error& e) {
        std::cerr << "calbridge error " << calbridge::error_code_name(e.code()) << ": " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 1;
}
