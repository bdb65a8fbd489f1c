// EventTime: an event's start or end, its text and what the text reads as (calbridge/api.hpp).
#include <calbridge/api.hpp>
#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>

#include <array>
#include <cstdio>

namespace calbridge {

namespace {

using namespace std::chrono;

// format_rfc3339 with the fraction of a second written out (trailing zeros dropped), so an
// instant goes out exactly as given, never rounded.
std::string exact_rfc3339(WallTime t) {
    std::string text = format_rfc3339(t);
    auto fraction = duration_cast<nanoseconds>(t - floor<seconds>(t)).count();
    if (fraction == 0) return text;
    std::array<char, 16> digits{};
    int width = 9;
    while (fraction % 10 == 0) {
        fraction /= 10;
        --width;
    }
    const int n = std::snprintf(digits.data(), digits.size(), ".%0*lld", width, static_cast<long long>(fraction));
    text.insert(text.size() - 1, digits.data(), static_cast<std::size_t>(n));  // before the "Z"
    return text;
}

}  // namespace

EventTime EventTime::at(WallTime instant, std::string tzid) {
    EventTime t;
    t.time = exact_rfc3339(instant);
    t.tzid = std::move(tzid);
    t.value = instant;
    return t;
}

EventTime EventTime::on(year_month_day date) {
    EventTime t;
    t.time = format_date(date);
    t.value = date;
    return t;
}

EventTime EventTime::read(std::string_view text, std::string tzid) {
    EventTime t;
    t.time = std::string(text);
    t.tzid = std::move(tzid);
    // A date is ten characters; anything longer can only be a time.
    if (text.size() == 10) {
        if (const auto date = parse_date(text)) t.value = *date;
    } else if (const auto instant = parse_rfc3339_offset(text)) {
        t.value = instant->utc;
        t.utc_offset = instant->offset;
    }
    return t;
}

EventTime EventTime::parse(std::string_view text, std::string tzid) {
    EventTime t = read(text, std::move(tzid));
    if (std::holds_alternative<std::monostate>(t.value)) {
        throw InvalidArgumentError("not a date (YYYY-MM-DD) or an RFC 3339 time");
    }
    return t;
}

}  // namespace calbridge
