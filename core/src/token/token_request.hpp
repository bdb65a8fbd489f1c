// Requests to the token endpoints (docs/PROTOCOL.md §2-4): form-encoded by default, JSON as an
// option; client credentials in the body by default, HTTP Basic as an option. Internal to the
// core.
#pragma once

#include <calbridge/config.hpp>
#include <calbridge/secret.hpp>
#include <calbridge/transport.hpp>

#include "log/redactor.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calbridge::detail {

// A request and the secrets it carries (for scrubbing what a reply echoes). Its body and
// Authorization header are wiped when it is destroyed.
class TokenRequest {
public:
    TokenRequest() = default;
    TokenRequest(const TokenRequest&) = delete;
    TokenRequest& operator=(const TokenRequest&) = delete;
    ~TokenRequest();

    HttpRequest http;
    Redactor redactor;
};

class TokenRequestBuilder {
public:
    // `path` is on the API host: "/oauth/token" or "/oauth/token/revoke".
    TokenRequestBuilder(const Config& config, std::string_view path);

    TokenRequestBuilder& field(std::string_view name, std::string_view value);
    TokenRequestBuilder& secret_field(std::string_view name, const Secret& value);

    // Client authentication first (body fields client_id and client_secret, or an
    // Authorization: Basic header), then the fields in the order given.
    void build(TokenRequest& out) const;

private:
    struct Field {
        std::string name;
        Secret value;  // a Secret even when not secret, so the whole body is wiped alike
        bool secret;
    };
    const Config& config_;
    std::string path_;
    std::vector<Field> fields_;
};

}  // namespace calbridge::detail
