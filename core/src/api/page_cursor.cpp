#include "api/page_cursor.hpp"

#include "api/api_url.hpp"
#include "api/results.hpp"

#include <calbridge/errors.hpp>

#include <boost/json/value.hpp>

#include <limits>

namespace calbridge::detail {

namespace json = boost::json;

namespace {

int small_int(const json::object& obj, std::string_view key) {
    const auto* v = obj.if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= std::numeric_limits<int>::max()) {
        return static_cast<int>(v->get_int64());
    }
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        return static_cast<int>(v->get_uint64());
    }
    return 0;
}

}  // namespace

PageCursor::PageCursor(std::shared_ptr<const AuthorizedCaller> session, std::string first_url, std::string items_key,
                       std::string what, CallOptions options)
    : session_(std::move(session)),
      next_url_(std::move(first_url)),
      items_key_(std::move(items_key)),
      what_(std::move(what)),
      options_(std::move(options)) {}

std::optional<json::array> PageCursor::next() {
    if (!next_url_) return std::nullopt;
    const Config& config = session_->configuration();
    if (from_reply_ && !same_origin(*next_url_, config.api_url())) {
        throw ProtocolError(what_ + ": the reply's next_page is not on the API host's origin; it is not followed "
                                    "(the bearer token is never sent to another host)");
    }
    const HttpResponse reply = session_->send(api_request(config, "GET", *next_url_), Replay::idempotent, options_);
    json::object page = parse_reply_object(reply.body, what_);
    json::array items = array_of_objects(page, items_key_, what_);

    std::optional<std::string> following;
    current_ = 0;
    total_ = 0;
    if (const auto* pages = page.if_contains("pages"); pages != nullptr && pages->is_object()) {
        const json::object& p = pages->get_object();
        current_ = small_int(p, "current");
        total_ = small_int(p, "total");
        if (const auto* next = p.if_contains("next_page"); next != nullptr && next->is_string() &&
                                                         !next->get_string().empty()) {
            following = std::string(next->get_string());
        }
    }
    next_url_ = std::move(following);
    from_reply_ = true;
    return items;
}

}  // namespace calbridge::detail
