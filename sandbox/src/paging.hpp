// next_page ids: the query, its owner and the page number, signed with a key made at start,
// so pages need no server memory and expire on their own. Opaque to clients.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace calbridge::sandbox {

struct PageRef {
    std::string kind;        // "events" or "free_busy"
    std::string client_id;   // the application and user the first page was read for
    std::string account_id;
    boost::json::object query;  // the query, as event_query.hpp writes it
    int page = 1;            // 1-based
    std::int64_t expires_at = 0;
};

class PageSigner {
public:
    PageSigner();  // a random key
    std::string seal(const PageRef& ref) const;
    std::optional<PageRef> open(std::string_view id, std::int64_t now) const;

private:
    std::string key_;
};

}  // namespace calbridge::sandbox
