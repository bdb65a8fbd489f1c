// The pages a browser sees: the consent page, error pages, the relink page and an index.
#pragma once

#include "request.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace calbridge::sandbox {

std::string html_escape(std::string_view text);

struct ConsentView {
    std::string pending_id;  // the form's hidden "authorization" field
    std::string app_name;
    std::string client_id;
    bool verified = false;
    std::string redirect_uri;
    std::vector<std::string> scopes;
    // Who can sign in: a select of these users, or a text field when there are too many.
    struct UserChoice {
        std::string account_id;
        std::string label;
    };
    std::vector<UserChoice> users;
    bool user_field = false;           // free text (account id or e-mail address)
    std::string fixed_account;         // a link token chose the user
    std::string fixed_label;
    std::string message;               // shown above the form (e.g. "unknown user")
};

std::string consent_page(const ConsentView& view);
std::string error_page(std::string_view title, std::string_view message);
std::string relink_page(std::string_view profile_name, std::string_view provider, std::string_view action, bool done);
std::string index_page(std::string_view api_url, std::string_view client_id);

// text/html with no-store, no framing and a restrictive content security policy.
Response html_response(int status, std::string body);

}  // namespace calbridge::sandbox
