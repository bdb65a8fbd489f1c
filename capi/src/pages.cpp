// Page iteration over events and free/busy periods.
#include "errors.hpp"
#include "handles.hpp"

#include <calbridge/times.hpp>

#include <string>

using namespace calbridge::capi;

namespace {

template <class Item>
class TypedPages final : public PageSource {
public:
    explicit TypedPages(calbridge::Pages<Item> pages) : pages_(std::move(pages)) {}

    std::optional<std::string> next() override {
        auto items = pages_.next();
        if (!items) return std::nullopt;
        return json_array(*items);
    }
    int current_page() const noexcept override { return pages_.current_page(); }
    int total_pages() const noexcept override { return pages_.total_pages(); }

private:
    calbridge::Pages<Item> pages_;
};

calbridge::EventsQuery events_query(const calbridge_events_query* query) {
    calbridge::EventsQuery out;
    if (query == nullptr) return out;
    check_version(query->version, CALBRIDGE_EVENTS_QUERY_VERSION, "query");
    if (query->tzid != nullptr) out.tzid = query->tzid;
    const auto date = [](const char* text, const char* name) {
        auto d = calbridge::parse_date(text);
        if (!d) invalid_argument(std::string("query->") + name + " is not a date (YYYY-MM-DD)");
        return *d;
    };
    if (query->from != nullptr) out.from = date(query->from, "from");
    if (query->to != nullptr) out.to = date(query->to, "to");
    if (query->calendar_id_count > 0) {
        if (query->calendar_ids == nullptr) invalid_argument("query->calendar_ids is NULL but calendar_id_count is not 0");
        for (std::size_t i = 0; i < query->calendar_id_count; ++i) {
            if (query->calendar_ids[i] == nullptr) {
                invalid_argument("query->calendar_ids[" + std::to_string(i) + "] is NULL");
            }
            out.calendar_ids.emplace_back(query->calendar_ids[i]);
        }
    }
    if (query->last_modified != nullptr) {
        out.last_modified = calbridge::parse_rfc3339(query->last_modified);
        if (!out.last_modified) invalid_argument("query->last_modified is not an RFC 3339 time");
    }
    const auto tristate = [](int value, const char* name) -> std::optional<bool> {
        switch (value) {
            case CALBRIDGE_UNSET: return std::nullopt;
            case CALBRIDGE_TRUE: return true;
            case CALBRIDGE_FALSE: return false;
            default:
                invalid_argument(std::string("query->") + name + " is " + std::to_string(value) +
                                 "; use CALBRIDGE_UNSET, CALBRIDGE_TRUE or CALBRIDGE_FALSE");
        }
    };
    out.include_managed = tristate(query->include_managed, "include_managed");
    out.only_managed = tristate(query->only_managed, "only_managed");
    out.include_deleted = tristate(query->include_deleted, "include_deleted");
    out.include_moved = tristate(query->include_moved, "include_moved");
    out.localized_times = tristate(query->localized_times, "localized_times");
    return out;
}

}  // namespace

extern "C" {

int calbridge_events_query_init(calbridge_events_query* query, unsigned int version) {
    return guard(__func__, [&] {
        auto& q = required(query, "query");
        check_version(version, CALBRIDGE_EVENTS_QUERY_VERSION, "version");
        q = calbridge_events_query CALBRIDGE_EVENTS_QUERY_INIT;
    });
}

int calbridge_session_events(calbridge_pages** out, calbridge_session* session, const calbridge_events_query* query,
                             const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& s = required(session, "session");
        auto pages = s.session.events(events_query(query), call_options(options));
        result = new calbridge_pages{std::make_unique<TypedPages<calbridge::Event>>(std::move(pages))};
    });
}

int calbridge_session_free_busy(calbridge_pages** out, calbridge_session* session, const calbridge_events_query* query,
                                const calbridge_call_options* options) {
    return guard(__func__, [&] {
        auto*& result = output(out, "out");
        auto& s = required(session, "session");
        auto pages = s.session.free_busy(events_query(query), call_options(options));
        result = new calbridge_pages{std::make_unique<TypedPages<calbridge::FreeBusyPeriod>>(std::move(pages))};
    });
}

int calbridge_pages_next(char** out_json, calbridge_pages* pages) {
    return guard(__func__, [&]() -> int {
        auto*& result = output(out_json, "out_json");
        auto& p = required(pages, "pages");
        auto page = p.source->next();
        if (!page) return CALBRIDGE_DONE;
        result = copy_out(*page);
        return CALBRIDGE_OK;
    });
}

int calbridge_pages_position(int* out_current, int* out_total, const calbridge_pages* pages) {
    return guard(__func__, [&] {
        if (out_current == nullptr && out_total == nullptr) invalid_argument("out_current and out_total are both NULL");
        if (out_current != nullptr) *out_current = 0;
        if (out_total != nullptr) *out_total = 0;
        const auto& p = required(pages, "pages");
        if (out_current != nullptr) *out_current = p.source->current_page();
        if (out_total != nullptr) *out_total = p.source->total_pages();
    });
}

void calbridge_pages_free(calbridge_pages* pages) { delete pages; }

}  // extern "C"
