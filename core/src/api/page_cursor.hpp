// Walking a paged reply (events, free/busy): the first URL, then each reply's "next_page"
// exactly as given, but only on the API host's origin. Internal to the core.
#pragma once

#include <calbridge/session.hpp>

#include "api/callers.hpp"

#include <boost/json/array.hpp>

#include <memory>
#include <optional>
#include <string>

namespace calbridge::detail {

class PageCursor {
public:
    // `items_key` names the array of each page ("events", "free_busy"); `what` names the call
    // in error messages.
    PageCursor(std::shared_ptr<const AuthorizedCaller> session, std::string first_url, std::string items_key, std::string what,
               CallOptions options);

    // The next page's items (each an object); std::nullopt after the last page. A failure
    // leaves the cursor where it was. A next_page on another origin is a ProtocolError, and
    // nothing is sent there.
    std::optional<boost::json::array> next();

    int current_page() const noexcept { return current_; }
    int total_pages() const noexcept { return total_; }

private:
    std::shared_ptr<const AuthorizedCaller> session_;
    std::optional<std::string> next_url_;  // empty once the last page has been read
    bool from_reply_ = false;              // next_url_ is the server's: check its origin
    std::string items_key_;
    std::string what_;
    CallOptions options_;
    int current_ = 0;
    int total_ = 0;
};

}  // namespace calbridge::detail
