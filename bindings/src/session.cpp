// Session (one user's connection), the calendar API's results, and the pages of events and
// free/busy. Every call that may touch the network releases the GIL (run_blocking).
#include "bindings.hpp"
#include "times.hpp"

#include <calbridge/api.hpp>
#include <calbridge/session.hpp>

#include <pybind11/stl.h>

#include <mutex>

namespace calbridge::python {

namespace {

py::object parse_json(const std::string& text) {
    if (text.empty()) return py::none();
    return py::module_::import("json").attr("loads")(text);
}

std::string quoted(const std::string& s) { return py::repr(py::str(s)); }

// Pages are not thread-safe and their next() blocks without the GIL: one consumer at a time.
// Their cancellation token is fixed when they are made, so each next() relays its own call's
// token to it: after a Ctrl-C, or once the caller's CancelToken (`user`, given when the pages
// were made) is cancelled, the pages stay cancelled (the iteration was abandoned).
template <class Item>
struct LockedPages {
    LockedPages(Pages<Item> p, Cancel r, Cancel u) : pages(std::move(p)), relay(std::move(r)), user(std::move(u)) {}
    std::mutex mutex;
    Pages<Item> pages;
    Cancel relay;
    Cancel user;  // may be null
};

// CallOptions for making pages: the relay token, and the timeout of each page's fetch.
CallOptions pages_options(std::optional<double> timeout, Cancel& relay) {
    relay = std::make_shared<CancellationToken>();
    return call_options(timeout, relay);
}

template <class Item>
void bind_pages(py::module_& m, const char* name) {
    using Locked = LockedPages<Item>;
    py::class_<Locked>(m, name)
        .def("next",
             [](Locked& self) {
                 return run_blocking(self.user, [&](const Cancel& token) {
                     auto relay = token->on_cancel([target = self.relay] { target->cancel(); });
                     std::lock_guard lock(self.mutex);
                     return self.pages.next();
                 });
             })
        .def_property_readonly("current_page", [](Locked& self) {
            py::gil_scoped_release release;
            std::lock_guard lock(self.mutex);
            return self.pages.current_page();
        })
        .def_property_readonly("total_pages", [](Locked& self) {
            py::gil_scoped_release release;
            std::lock_guard lock(self.mutex);
            return self.pages.total_pages();
        });
}

EventsQuery make_query(std::string tzid, std::optional<std::string> from, std::optional<std::string> to,
                       std::vector<std::string> calendar_ids, std::optional<std::string> last_modified,
                       std::optional<bool> include_managed, std::optional<bool> only_managed,
                       std::optional<bool> include_deleted, std::optional<bool> include_moved,
                       std::optional<bool> localized_times) {
    EventsQuery q;
    q.tzid = std::move(tzid);
    q.from = query_date(from, "from_");
    q.to = query_date(to, "to");
    q.calendar_ids = std::move(calendar_ids);
    q.last_modified = query_instant(last_modified, "last_modified");
    q.include_managed = include_managed;
    q.only_managed = only_managed;
    q.include_deleted = include_deleted;
    q.include_moved = include_moved;
    q.localized_times = localized_times;
    return q;
}

void bind_results(py::module_& m) {
    py::class_<Calendar>(m, "Calendar", "A calendar (GET /v1/calendars).")
        .def_readonly("provider_name", &Calendar::provider_name)
        .def_readonly("profile_id", &Calendar::profile_id)
        .def_readonly("profile_name", &Calendar::profile_name)
        .def_readonly("calendar_id", &Calendar::calendar_id)
        .def_readonly("calendar_name", &Calendar::calendar_name)
        .def_readonly("readonly", &Calendar::readonly)
        .def_readonly("deleted", &Calendar::deleted)
        .def_readonly("primary", &Calendar::primary)
        .def_readonly("permission_level", &Calendar::permission_level)
        .def_property_readonly("raw", [](const Calendar& c) { return parse_json(c.raw_json); })
        .def("__repr__", [](const Calendar& c) {
            return "Calendar(calendar_id=" + quoted(c.calendar_id) + ", calendar_name=" + quoted(c.calendar_name) +
                   ", profile_name=" + quoted(c.profile_name) + (c.primary ? ", primary=True" : "") + ")";
        });

    py::class_<Event>(m, "Event", "An event (GET /v1/events).")
        .def_readonly("calendar_id", &Event::calendar_id)
        .def_readonly("event_uid", &Event::event_uid)
        .def_readonly("event_id", &Event::event_id)
        .def_readonly("summary", &Event::summary)
        .def_readonly("description", &Event::description)
        .def_property_readonly("start", [](const Event& e) { return time_value(e.start); })
        .def_property_readonly("end", [](const Event& e) { return time_value(e.end); })
        .def_property_readonly("start_raw", [](const Event& e) { return e.start.time; })
        .def_property_readonly("end_raw", [](const Event& e) { return e.end.time; })
        .def_property_readonly("start_tzid", [](const Event& e) { return e.start.tzid; })
        .def_property_readonly("end_tzid", [](const Event& e) { return e.end.tzid; })
        .def_readonly("deleted", &Event::deleted)
        .def_property_readonly("created", [](const Event& e) { return utc_datetime(e.created_at); })
        .def_property_readonly("updated", [](const Event& e) { return utc_datetime(e.updated_at); })
        .def_readonly("created_raw", &Event::created)
        .def_readonly("updated_raw", &Event::updated)
        .def_readonly("location", &Event::location)
        .def_readonly("participation_status", &Event::participation_status)
        .def_readonly("transparency", &Event::transparency)
        .def_readonly("status", &Event::status)
        .def_readonly("recurring", &Event::recurring)
        .def_property_readonly("raw", [](const Event& e) { return parse_json(e.raw_json); })
        .def("__repr__", [](const Event& e) {
            return "Event(event_uid=" + quoted(e.event_uid) + (e.event_id.empty() ? "" : ", event_id=" + quoted(e.event_id)) +
                   ", summary=" + quoted(e.summary) + ", start=" + quoted(e.start.time) + ", end=" + quoted(e.end.time) +
                   ")";
        });

    py::class_<FreeBusyPeriod>(m, "FreeBusyPeriod", "A busy (or tentative, free) period (GET /v1/free_busy).")
        .def_readonly("calendar_id", &FreeBusyPeriod::calendar_id)
        .def_property_readonly("start", [](const FreeBusyPeriod& p) { return time_value(p.start); })
        .def_property_readonly("end", [](const FreeBusyPeriod& p) { return time_value(p.end); })
        .def_property_readonly("start_raw", [](const FreeBusyPeriod& p) { return p.start.time; })
        .def_property_readonly("end_raw", [](const FreeBusyPeriod& p) { return p.end.time; })
        .def_property_readonly("start_tzid", [](const FreeBusyPeriod& p) { return p.start.tzid; })
        .def_property_readonly("end_tzid", [](const FreeBusyPeriod& p) { return p.end.tzid; })
        .def_readonly("free_busy_status", &FreeBusyPeriod::free_busy_status)
        .def_property_readonly("raw", [](const FreeBusyPeriod& p) { return parse_json(p.raw_json); })
        .def("__repr__", [](const FreeBusyPeriod& p) {
            return "FreeBusyPeriod(calendar_id=" + quoted(p.calendar_id) + ", start=" + quoted(p.start.time) +
                   ", end=" + quoted(p.end.time) + ", free_busy_status=" + quoted(p.free_busy_status) + ")";
        });

    py::class_<Account>(m, "Account", "The account behind the credentials (GET /v1/account).")
        .def_readonly("account_id", &Account::account_id)
        .def_readonly("email", &Account::email)
        .def_readonly("name", &Account::name)
        .def_readonly("scope", &Account::scope)
        .def_readonly("default_tzid", &Account::default_tzid)
        .def_property_readonly("raw", [](const Account& a) { return parse_json(a.raw_json); })
        .def("__repr__", [](const Account& a) {
            return "Account(account_id=" + quoted(a.account_id) + ", email=" + quoted(a.email) + ", name=" +
                   quoted(a.name) + ")";
        });

    py::class_<Profile>(m, "Profile", "A calendar profile (GET /v1/profiles).")
        .def_readonly("provider_name", &Profile::provider_name)
        .def_readonly("profile_id", &Profile::profile_id)
        .def_readonly("profile_name", &Profile::profile_name)
        .def_readonly("connected", &Profile::connected)
        .def_readonly("relink_url", &Profile::relink_url)
        .def_property_readonly("raw", [](const Profile& p) { return parse_json(p.raw_json); })
        .def("__repr__", [](const Profile& p) {
            return "Profile(profile_id=" + quoted(p.profile_id) + ", provider_name=" + quoted(p.provider_name) +
                   ", profile_name=" + quoted(p.profile_name) + (p.connected ? "" : ", connected=False") + ")";
        });

    py::class_<UserInfo>(m, "UserInfo", "OpenID-style user information (GET /v1/userinfo).")
        .def_readonly("sub", &UserInfo::sub)
        .def_readonly("email", &UserInfo::email)
        .def_readonly("name", &UserInfo::name)
        .def_readonly("zoneinfo", &UserInfo::zoneinfo)
        .def_readonly("type", &UserInfo::type)
        .def_readonly("profiles", &UserInfo::profiles)
        .def_property_readonly("raw", [](const UserInfo& u) { return parse_json(u.raw_json); })
        .def("__repr__", [](const UserInfo& u) {
            return "UserInfo(sub=" + quoted(u.sub) + ", email=" + quoted(u.email) + ", name=" + quoted(u.name) + ")";
        });
}

}  // namespace

void init_session(py::module_& m) {
    bind_results(m);
    bind_pages<Event>(m, "EventPages");
    bind_pages<FreeBusyPeriod>(m, "FreeBusyPages");

    py::class_<Session>(m, "Session")
        .def_property_readonly("account_key", &Session::account_key)
        .def("credentials",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) { return s.credentials(call_options(timeout, token)); });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("calendars",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) { return s.calendars(call_options(timeout, token)); });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("events",
             [](const Session& s, std::string tzid, std::optional<std::string> from, std::optional<std::string> to,
                std::vector<std::string> calendar_ids, std::optional<std::string> last_modified,
                std::optional<bool> include_managed, std::optional<bool> only_managed,
                std::optional<bool> include_deleted, std::optional<bool> include_moved,
                std::optional<bool> localized_times, std::optional<double> timeout, const Cancel& cancel) {
                 const auto query = make_query(std::move(tzid), std::move(from), std::move(to), std::move(calendar_ids),
                                               std::move(last_modified), include_managed, only_managed,
                                               include_deleted, include_moved, localized_times);
                 std::shared_ptr<CancellationToken> relay;
                 const CallOptions options = pages_options(timeout, relay);
                 return std::make_unique<LockedPages<Event>>(s.events(query, options), std::move(relay), cancel);
             },
             py::kw_only(), py::arg("tzid"), py::arg("from_"), py::arg("to"), py::arg("calendar_ids"),
             py::arg("last_modified"), py::arg("include_managed"), py::arg("only_managed"),
             py::arg("include_deleted"), py::arg("include_moved"), py::arg("localized_times"), py::arg("timeout"), py::arg("cancel"))
        .def("free_busy",
             [](const Session& s, std::string tzid, std::optional<std::string> from, std::optional<std::string> to,
                std::vector<std::string> calendar_ids, std::optional<double> timeout, const Cancel& cancel) {
                 EventsQuery query;
                 query.tzid = std::move(tzid);
                 query.from = query_date(from, "from_");
                 query.to = query_date(to, "to");
                 query.calendar_ids = std::move(calendar_ids);
                 std::shared_ptr<CancellationToken> relay;
                 const CallOptions options = pages_options(timeout, relay);
                 return std::make_unique<LockedPages<FreeBusyPeriod>>(s.free_busy(query, options), std::move(relay), cancel);
             },
             py::kw_only(), py::arg("tzid"), py::arg("from_"), py::arg("to"), py::arg("calendar_ids"),
             py::arg("timeout"), py::arg("cancel"))
        .def("upsert_event",
             [](const Session& s, std::string calendar_id, std::string event_json, std::optional<double> timeout,
                const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) {
                     s.upsert_event(calendar_id, event_json, call_options(timeout, token));
                 });
             },
             py::arg("calendar_id"), py::arg("event_json"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("delete_event",
             [](const Session& s, std::string calendar_id, std::string event_id, std::optional<double> timeout,
                const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) {
                     s.delete_event(calendar_id, event_id, call_options(timeout, token));
                 });
             },
             py::arg("calendar_id"), py::arg("event_id"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("delete_external_event",
             [](const Session& s, std::string calendar_id, std::string event_uid, std::optional<double> timeout,
                const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) {
                     s.delete_external_event(calendar_id, event_uid, call_options(timeout, token));
                 });
             },
             py::arg("calendar_id"), py::arg("event_uid"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("account",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) { return s.account(call_options(timeout, token)); });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("userinfo",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) { return s.userinfo(call_options(timeout, token)); });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("profiles",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) { return s.profiles(call_options(timeout, token)); });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("revoke_profile",
             [](const Session& s, std::string profile_id, std::optional<double> timeout, const Cancel& cancel) {
                 run_blocking(cancel, [&](const auto& token) { s.revoke_profile(profile_id, call_options(timeout, token)); });
             },
             py::arg("profile_id"), py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("create_link_token",
             [](const Session& s, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     return s.create_link_token(call_options(timeout, token)).reveal();
                 });
             },
             py::kw_only(), py::arg("timeout"), py::arg("cancel"))
        .def("request",
             [](const Session& s, std::string method, std::string path, std::vector<std::pair<std::string, std::string>> query,
                std::optional<std::string> json_body, std::optional<double> timeout, const Cancel& cancel) {
                 return run_blocking(cancel, [&](const auto& token) {
                     std::optional<std::string_view> body;
                     if (json_body) body = *json_body;
                     return s.request(method, path, query, body, call_options(timeout, token));
                 });
             },
             py::arg("method"), py::arg("path"), py::kw_only(), py::arg("query"), py::arg("json_body"),
             py::arg("timeout"), py::arg("cancel"));
}

}  // namespace calbridge::python
