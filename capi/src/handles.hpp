// What the opaque C handles are: thin owners of the core's objects. Internal to capi/src.
#pragma once

#include <calbridge.h>
#include <calbridge/authorize.hpp>
#include <calbridge/client.hpp>
#include <calbridge/credentials.hpp>
#include <calbridge/session.hpp>
#include <calbridge/transport.hpp>

#include <memory>
#include <optional>
#include <string>

struct calbridge_client {
    calbridge::Client client;
};

struct calbridge_authorization {
    calbridge::AuthorizationRequest request;
};

// The credentials, and the getters' strings that are not stored as such in them.
struct calbridge_credentials {
    explicit calbridge_credentials(calbridge::Credentials c);

    calbridge::Credentials credentials;
    std::string scope;  // space-separated
};

// A session keeps its client too, so that freeing the client handle first is harmless.
struct calbridge_session {
    calbridge::Client client;
    calbridge::Session session;
};

struct calbridge_cancel {
    std::shared_ptr<calbridge::CancellationToken> token;
};

namespace calbridge::capi {

// The pages of events or of free/busy periods, behind one interface.
class PageSource {
public:
    virtual ~PageSource() = default;
    // The next page's items as a JSON array, or std::nullopt after the last page.
    virtual std::optional<std::string> next() = 0;
    virtual int current_page() const noexcept = 0;
    virtual int total_pages() const noexcept = 0;
};

// Copies a core result into a new handle for the caller (throws std::bad_alloc).
calbridge_credentials* new_credentials_handle(calbridge::Credentials credentials);

// calbridge_call_options → calbridge::CallOptions (NULL: the defaults).
calbridge::CallOptions call_options(const calbridge_call_options* options);

// A JSON array from the raw JSON text of each item.
template <class Items>
std::string json_array(const Items& items) {
    std::string out = "[";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        out += item.raw_json;
    }
    out += ']';
    return out;
}

}  // namespace calbridge::capi

struct calbridge_pages {
    std::unique_ptr<calbridge::capi::PageSource> source;
};
