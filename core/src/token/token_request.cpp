#include "token/token_request.hpp"

#include "util/crypto.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace calbridge::detail {

namespace urls = boost::urls;

namespace {

void wipe(std::string& s) noexcept {
    if (!s.empty()) secure_wipe(s.data(), s.size());
    s.clear();
}

// application/x-www-form-urlencoded, with everything but RFC 3986 unreserved characters
// percent-encoded: '+' must not reach the server raw (it reads as a space), and %20 for a
// space is read correctly by every form decoder.
std::string form_encode(std::string_view value) { return urls::encode(value, urls::unreserved_chars); }

}  // namespace

TokenRequest::~TokenRequest() {
    wipe(http.body);
    for (auto& header : http.headers) {
        if (header.name == "Authorization") wipe(header.value);
    }
}

TokenRequestBuilder::TokenRequestBuilder(const Config& config, std::string_view path)
    : config_(config), path_(path) {}

TokenRequestBuilder& TokenRequestBuilder::field(std::string_view name, std::string_view value) {
    fields_.push_back({std::string(name), Secret(std::string(value)), false});
    return *this;
}

TokenRequestBuilder& TokenRequestBuilder::secret_field(std::string_view name, const Secret& value) {
    fields_.push_back({std::string(name), value, true});
    return *this;
}

void TokenRequestBuilder::build(TokenRequest& out) const {
    const bool basic = config_.client_authentication() == ClientAuthentication::http_basic;
    std::vector<const Field*> body_fields;
    Field client_id{"client_id", Secret(config_.client_id()), false};
    Field client_secret{"client_secret", config_.client_secret(), true};
    if (!basic) {
        body_fields.push_back(&client_id);
        body_fields.push_back(&client_secret);
    }
    for (const Field& f : fields_) body_fields.push_back(&f);

    out.http.method = "POST";
    out.http.url = config_.api_url() + path_;
    out.redactor.add(config_.client_secret());
    if (basic) {
        // RFC 6749 §2.3.1: both halves form-encoded before they are joined and base64-encoded.
        const Secret joined(form_encode(config_.client_id()) + ":" + form_encode(config_.client_secret().reveal()));
        const Secret credentials(base64_encode(joined.reveal()));
        out.redactor.add(credentials);
        out.http.headers.push_back({"Authorization", "Basic " + credentials.reveal()});
    }
    out.http.headers.push_back({"Accept", "application/json"});
    out.http.headers.push_back({"User-Agent", config_.user_agent()});

    if (config_.token_encoding() == TokenRequestEncoding::json) {
        out.http.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
        boost::json::object body;
        for (const Field* f : body_fields) body[f->name] = f->value.reveal();
        out.http.body = boost::json::serialize(body);
        // Best effort, like the rest: the object's copies of the secrets are wiped before it goes.
        for (auto& entry : body) {
            boost::json::string& value = entry.value().as_string();
            secure_wipe(value.data(), value.size());
        }
    } else {
        out.http.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
        for (const Field* f : body_fields) {
            if (!out.http.body.empty()) out.http.body += '&';
            out.http.body += form_encode(f->name) + "=" + form_encode(f->value.reveal());
        }
    }
    for (const Field* f : body_fields) {
        if (f->secret) out.redactor.add(f->value);
    }
}

}  // namespace calbridge::detail
