// calbridge-sandbox's request handling behind the socket: target and query parsing, the
// router, the OAuth endpoints and the consent form, the calendar API, the admin JSON.
//
// Input: requests separated by a line "=====", each "<METHOD> <target>\n<Name: value\n>...
// \n<body>" (headers until an empty line). The state is reset before each input; the admin
// token is "fuzz-admin-token" and the seed's application and user exist.
// Invariants: the router never answers 500 "internal_error" (an exception in an endpoint: bad
// input must be a 4xx); a JSON response parses as JSON; nothing escapes Router::handle.
#include "fuzz_checks.hpp"

#include "config.hpp"
#include "counters.hpp"
#include "router.hpp"
#include "state.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

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
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // Waiting for deliveries to settle only waits: nothing to find there but time.
    if (text.find("settled") != std::string_view::npos) return -1;
    Sandbox& s = sandbox();
    s.state.reset();
    s.state.clock.reset();

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
