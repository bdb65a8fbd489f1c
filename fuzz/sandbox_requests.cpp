// calbridge-sandbox's request handling behind the socket: target and query parsing, the
// router, the OAuth endpoints and the consent form, the calendar API, the admin JSON.
//
// Input: requests separated by a line "=====", each "<METHOD> <target>\n<Name: value\n>...
// \n<body>" (headers until an empty line). The state is reset before each input; the admin
// token is "fuzz-admin-token" and the seed's application and user exist. What the sandbox makes
// at random is named by placeholders, replaced before the requests are read, so an input means
// the same in every process: after the reset the seed's user has granted the seed's application
// every scope, and "@token@" / "@refresh@" are that grant's access and refresh tokens, "@event@"
// the id of the user's first event (the calendar API's bearer check passes).
// Invariants: the router never answers 500 "internal_error" (an exception in an endpoint: bad
// input must be a 4xx); a JSON response parses as JSON; nothing escapes Router::handle.
#include "fuzz_checks.hpp"

#include "config.hpp"
#include "counters.hpp"
#include "grants.hpp"
#include "model.hpp"
#include "router.hpp"
#include "state.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace calbridge::sandbox;
namespace fuzz = calbridge::fuzz;

struct Sandbox {
    Sandbox() : state(default_config(Clock().now()).initial), router(state, counters, info()) {}
    static ServiceInfo info() { return ServiceInfo{"https", "127.0.0.1:8443", "fuzz-admin-token", ""}; }
    State state;
    Counters counters;
    Router router;
};

Sandbox& sandbox() {
    static Sandbox* s = new Sandbox();  // never destroyed: its sender thread outlives main's exit
    return *s;
}

// The seed's grant, made after each reset, and the seed's first event.
struct Placeholders {
    std::string token;
    std::string refresh;
    std::string event;
};

Placeholders grant_everything(State& state) {
    const InitialState& initial = state.initial();
    const Application& app = initial.applications.at(0);
    const User& user = initial.users.at(0);
    std::vector<std::string> scopes(std::begin(known_scopes), std::end(known_scopes));
    const IssuedTokens t = state.grants.issue_direct(app.client_id, user.account_id, user.profiles.at(0).profile_id,
                                                     std::move(scopes), state.policy_for(app), state.clock.now());
    return {t.access_token, t.refresh_token, user.events.empty() ? std::string() : user.events.front().event_uid};
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = text.find(from);
    while (at != std::string_view::npos) {
        out.append(text.substr(0, at)).append(to);
        text.remove_prefix(at + from.size());
        at = text.find(from);
    }
    return out.append(text);
}

std::optional<Request> read_request(std::string_view part) {
    Request r;
    const auto line_end = part.find('\n');
    const std::string_view first = part.substr(0, line_end);
    const auto space = first.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    r.method = std::string(first.substr(0, space));
    r.target = std::string(first.substr(space + 1));
    part = line_end == std::string_view::npos ? std::string_view() : part.substr(line_end + 1);
    while (!part.empty() && part.front() != '\n') {
        const auto nl = part.find('\n');
        const std::string_view line = part.substr(0, nl);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            r.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
        }
        part = nl == std::string_view::npos ? std::string_view() : part.substr(nl + 1);
    }
    if (!part.empty()) part.remove_prefix(1);
    r.body = std::string(part);
    r.secure = true;
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Waiting for deliveries to settle only waits: nothing to find there but time.
    if (input.find("settled") != std::string_view::npos) return -1;
    Sandbox& s = sandbox();
    s.state.reset();
    s.state.clock.reset();
    const Placeholders p = grant_everything(s.state);
    std::string replaced(input);
    if (input.find('@') != std::string_view::npos) {
        replaced = replace_all(replaced, "@token@", p.token);
        replaced = replace_all(replaced, "@refresh@", p.refresh);
        replaced = replace_all(replaced, "@event@", p.event);
    }
    std::string_view text = replaced;

    constexpr std::string_view separator = "\n=====\n";
    for (int n = 0; !text.empty() && n < 8; ++n) {
        const auto end = text.find(separator);
        const std::string_view part = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + separator.size());
        auto request = read_request(part);
        if (!request) continue;
        Response r;
        try {
            r = s.router.handle(*request);
        } catch (const std::exception& e) {
            fuzz::fail("Router::handle threw", e.what());
        }
        // The router's own answer to an exception (a fault rule may answer 500 too, with its own body).
        if (r.status == 500 && r.body.find("the sandbox failed to handle this request") != std::string::npos) {
            fuzz::fail("an endpoint threw: the sandbox answered 500 internal_error", request->target);
        }
        const std::string* type = r.header("Content-Type");
        if (type != nullptr && type->rfind("application/json", 0) == 0 && !r.body.empty()) {
            boost::system::error_code ec;
            (void)boost::json::parse(r.body, ec);
            fuzz::check(!ec, "a JSON response parses", r.body);
        }
    }
    return 0;
}
