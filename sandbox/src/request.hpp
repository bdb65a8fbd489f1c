// The Beast-free request and response every endpoint works on. The server (server.cpp)
// converts to and from Beast's messages; nothing else sees Beast.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calbridge::sandbox {

struct Header {
    std::string name;
    std::string value;
};

// Decoded name/value pairs in their order (query strings and form bodies).
using Params = std::vector<std::pair<std::string, std::string>>;

const std::string* find_param(const Params& params, std::string_view name) noexcept;
// A boolean query value: "true" or "false" in any case (the real service accepts "True", which
// the official Python SDK sends); nullopt for anything else.
std::optional<bool> parse_query_bool(std::string_view value) noexcept;
std::vector<std::string> find_all_params(const Params& params, std::string_view name);

bool iequals(std::string_view a, std::string_view b) noexcept;

struct Request {
    std::string method;   // "GET", "POST", ...
    std::string target;   // as received: "/v1/events?tzid=Etc%2FUTC"
    std::vector<Header> headers;
    std::string body;
    bool secure = false;  // arrived over TLS

    // Filled by parse_target().
    std::string path;     // percent-decoded
    Params query;         // decoded, '+' read as a space (form rules, as servers do)

    const std::string* header(std::string_view name) const noexcept;  // first, case-insensitive
    const std::string* param(std::string_view name) const noexcept { return find_param(query, name); }
};

// Splits `request.target` into path and query. False for a target that is not an origin-form
// URI (RFC 9112 §3.2.1), which the router answers with 400.
bool parse_target(Request& request);

// application/x-www-form-urlencoded; std::nullopt when the body is not well formed.
std::optional<Params> parse_form(std::string_view body);

// How the server delivers a response; anything but `normal` comes from fault injection.
enum class Delivery {
    normal,
    close_before_response,  // close the connection without a byte of response
    truncate_body,          // send the headers and half of the body, then close
};

struct Response {
    int status = 200;
    std::vector<Header> headers;
    std::string body;
    Delivery delivery = Delivery::normal;
    std::chrono::milliseconds delay{0};  // waited asynchronously before delivery
    bool close = false;                  // close the connection after this response

    void set_header(std::string name, std::string value);  // replaces
    void remove_header(std::string_view name);
    const std::string* header(std::string_view name) const noexcept;
};

}  // namespace calbridge::sandbox
