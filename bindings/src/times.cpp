// Times between C++ and Python, built with the datetime C API: reading an events page converts
// nothing until a time is asked for, and then costs one object, not a parse in Python.
#include "times.hpp"

#include <calbridge/errors.hpp>
#include <calbridge/times.hpp>

#include <datetime.h>

namespace calbridge::python {

namespace {

using namespace std::chrono;

void import_datetime() {
    if (PyDateTimeAPI == nullptr) {
        // PyDateTime_IMPORT, without its C cast.
        PyDateTimeAPI = static_cast<PyDateTime_CAPI*>(PyCapsule_Import(PyDateTime_CAPSULE_NAME, 0));
        if (PyDateTimeAPI == nullptr) throw py::error_already_set();
    }
}

py::object checked(PyObject* made) {
    if (made == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(made);
}

// Python's datetime and date hold years 1..9999.
bool python_year(year y) noexcept { return y >= year{1} && y <= year{9999}; }

py::object aware_datetime(WallTime utc, minutes offset) {
    import_datetime();
    const auto local = floor<microseconds>(utc) + offset;
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    if (!python_year(ymd.year())) return py::none();
    const hh_mm_ss hms{local - day};
    py::object zone;
    if (offset == minutes{0}) {
        zone = py::reinterpret_borrow<py::object>(PyDateTime_TimeZone_UTC);
    } else {
        const auto delta = checked(PyDelta_FromDSU(0, static_cast<int>(duration_cast<seconds>(offset).count()), 0));
        zone = checked(PyTimeZone_FromOffset(delta.ptr()));
    }
    return checked(PyDateTimeAPI->DateTime_FromDateAndTime(
        static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
        static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
        static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
        static_cast<int>(hms.subseconds().count()), zone.ptr(), PyDateTimeAPI->DateTimeType));
}

}  // namespace

py::object time_value(const EventTime& time) {
    if (const WallTime* instant = time.instant()) return aware_datetime(*instant, time.utc_offset);
    if (const year_month_day* date = time.date()) {
        if (!python_year(date->year())) return py::none();
        import_datetime();
        return checked(PyDate_FromDate(static_cast<int>(date->year()), static_cast<int>(static_cast<unsigned>(date->month())),
                                       static_cast<int>(static_cast<unsigned>(date->day()))));
    }
    return py::none();
}

py::object utc_datetime(const std::optional<WallTime>& time) {
    return time ? aware_datetime(*time, minutes{0}) : py::none();
}

std::optional<year_month_day> query_date(const std::optional<std::string>& text, const char* what) {
    if (!text) return std::nullopt;
    const auto date = parse_date(*text);
    if (!date) throw InvalidArgumentError(std::string(what) + " is not a date (YYYY-MM-DD)");
    return date;
}

std::optional<WallTime> query_instant(const std::optional<std::string>& text, const char* what) {
    if (!text) return std::nullopt;
    const auto instant = parse_rfc3339(*text);
    if (!instant) throw InvalidArgumentError(std::string(what) + " is not an RFC 3339 time");
    return instant;
}

}  // namespace calbridge::python
