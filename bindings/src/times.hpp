// Times between C++ and Python: an EventTime's value as an aware datetime (its offset kept) or a
// date, and the text forms the Python package hands down for queries.
#pragma once

#include <calbridge/api.hpp>

#include <pybind11/pybind11.h>

#include <chrono>
#include <optional>
#include <string>

namespace calbridge::python {

namespace py = pybind11;

// A datetime in the offset the text was written in (timezone.utc for "Z"), to the microsecond
// (floored); a date for an all-day value; None for an empty or unreadable one.
py::object time_value(const EventTime& time);
// An aware datetime in UTC, or None.
py::object utc_datetime(const std::optional<WallTime>& time);

// "YYYY-MM-DD" as a date; InvalidArgumentError naming `what` otherwise.
std::optional<std::chrono::year_month_day> query_date(const std::optional<std::string>& text, const char* what);
// RFC 3339 text as an instant; InvalidArgumentError naming `what` otherwise.
std::optional<WallTime> query_instant(const std::optional<std::string>& text, const char* what);

}  // namespace calbridge::python
