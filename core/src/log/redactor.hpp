// Scrubs known secret values out of text that is about to reach a user: an excerpt of a reply
// body in an error message, a server's error_description. A server may echo what it was sent
// (proxies' error pages do), so each secret is looked for in every form a request carries it
// in: raw, percent-encoded (either hex case, '+' or %20 for a space), JSON-escaped and base64.
// Internal to the core.
#pragma once

#include <calbridge/secret.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace calbridge::detail {

class Redactor {
public:
    // Adds a secret (empty ones are ignored). Each occurrence is replaced by its redacted form.
    void add(const Secret& secret);

    std::string scrub(std::string_view text) const;

private:
    struct Form {
        Secret pattern;  // a Secret, so it is wiped with the redactor
        std::string replacement;
    };
    std::vector<Form> forms_;  // longest first: a form that contains another is replaced whole
};

}  // namespace calbridge::detail
