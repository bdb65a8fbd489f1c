// Pages<Item> for the two paged results; the explicit instantiations that api.hpp declares.
#include <calbridge/api.hpp>

#include "api/page_cursor.hpp"
#include "api/results.hpp"

namespace calbridge {

namespace {

template <class Item>
Item read_item(const boost::json::object& item);

template <>
Event read_item<Event>(const boost::json::object& item) {
    return detail::read_event(item);
}

template <>
FreeBusyPeriod read_item<FreeBusyPeriod>(const boost::json::object& item) {
    return detail::read_free_busy_period(item);
}

}  // namespace

template <class Item>
Pages<Item>::Pages(std::unique_ptr<detail::PageCursor> cursor) noexcept : cursor_(std::move(cursor)) {}

template <class Item>
Pages<Item>::Pages(Pages&&) noexcept = default;

template <class Item>
Pages<Item>& Pages<Item>::operator=(Pages&&) noexcept = default;

template <class Item>
Pages<Item>::~Pages() = default;

template <class Item>
std::optional<std::vector<Item>> Pages<Item>::next() {
    if (!cursor_) return std::nullopt;  // moved from
    auto items = cursor_->next();
    if (!items) return std::nullopt;
    std::vector<Item> out;
    out.reserve(items->size());
    for (const auto& item : *items) out.push_back(read_item<Item>(item.get_object()));
    return out;
}

template <class Item>
std::vector<Item> Pages<Item>::all() {
    std::vector<Item> out;
    while (auto page = next()) {
        out.insert(out.end(), std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
    }
    return out;
}

template <class Item>
int Pages<Item>::current_page() const noexcept {
    return cursor_ ? cursor_->current_page() : 0;
}

template <class Item>
int Pages<Item>::total_pages() const noexcept {
    return cursor_ ? cursor_->total_pages() : 0;
}

template class Pages<Event>;
template class Pages<FreeBusyPeriod>;

}  // namespace calbridge
