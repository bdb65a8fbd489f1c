// Token stores: the core's own (memory, file, SQLite, PostgreSQL, or any by name) for Python,
// and any Python object as a calbridge::TokenStore for the core, with the refresh lease when
// the object has its methods. The core calls a store on the calling thread and never while it
// holds a lock, so taking the GIL inside each call cannot deadlock; a lease's renew comes from
// a thread of the core's own, which takes the GIL the same way.
#include "python_errors.hpp"

#include <calbridge/open_store.hpp>
#include <calbridge/postgres_store.hpp>
#include <calbridge/sqlite_store.hpp>
#include <calbridge/store.hpp>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace calbridge::python {

namespace {

// A claim as it crosses into Python and back: (status, credentials or None, version, epoch,
// remaining seconds). calbridge.stores.LeaseClaim is built from it, and the adapter of a
// Python store turns its LeaseClaim into it. (The reauthorization mark is the status: a claim
// checks it first, so no other status comes with a marked account.)
using ClaimTuple = std::tuple<std::string, std::optional<Credentials>, std::uint64_t, std::uint64_t, double>;

const char* status_name(LeaseClaim::Status status) noexcept {
    switch (status) {
        case LeaseClaim::Status::granted: return "granted";
        case LeaseClaim::Status::version_moved: return "version_moved";
        case LeaseClaim::Status::held: return "held";
        case LeaseClaim::Status::reauthorization_required: return "reauthorization_required";
        case LeaseClaim::Status::missing: return "missing";
    }
    return "missing";
}

std::optional<LeaseClaim::Status> status_from_name(std::string_view name) noexcept {
    for (auto status : {LeaseClaim::Status::granted, LeaseClaim::Status::version_moved, LeaseClaim::Status::held,
                        LeaseClaim::Status::reauthorization_required, LeaseClaim::Status::missing}) {
        if (name == status_name(status)) return status;
    }
    return std::nullopt;
}

ClaimTuple to_tuple(LeaseClaim claim) {
    std::optional<Credentials> credentials;
    std::uint64_t version = 0;
    if (claim.stored) {
        credentials = std::move(claim.stored->credentials);
        version = claim.stored->version;
    }
    return {status_name(claim.status), std::move(credentials), version, claim.epoch,
            std::chrono::duration<double>(claim.remaining).count()};
}

double seconds(std::chrono::milliseconds duration) noexcept { return std::chrono::duration<double>(duration).count(); }

class PythonTokenStore final : public TokenStore, public RefreshLeases {
public:
    // `leasing`: the object has claim, renew, release and mark_reauthorization_required;
    // `notifies`: also wait_for_change (calbridge.stores checked that they come together).
    PythonTokenStore(PyRef store, bool leasing, bool notifies)
        : store_(std::move(store)), leasing_(leasing), notifies_(notifies) {}

    std::optional<VersionedCredentials> load(std::string_view account) override {
        py::gil_scoped_acquire gil;
        py::object reply = call("load", py::str(account.data(), account.size()));
        if (reply.is_none()) return std::nullopt;
        try {
            // (credentials, version), or (credentials, version, reauthorization_required).
            auto items = reply.cast<py::tuple>();
            if (items.size() != 2 && items.size() != 3) throw py::cast_error();
            VersionedCredentials loaded{items[0].cast<Credentials>(), items[1].cast<std::uint64_t>()};
            if (items.size() == 3) loaded.reauthorization_required = items[2].cast<bool>();
            return loaded;
        } catch (const py::cast_error&) {
            throw StoreError("token store's load() must return (credentials, version) or None");
        }
    }

    std::optional<std::uint64_t> insert(std::string_view account, const Credentials& credentials) override {
        py::gil_scoped_acquire gil;
        return optional_version("insert", call("insert", py::str(account.data(), account.size()), py::cast(credentials)));
    }

    std::optional<std::uint64_t> save(std::string_view account, const Credentials& credentials,
                                      std::uint64_t expected_version) override {
        py::gil_scoped_acquire gil;
        return optional_version("save", call("save", py::str(account.data(), account.size()), py::cast(credentials),
                                             py::int_(expected_version)));
    }

    std::uint64_t replace(std::string_view account, const Credentials& credentials) override {
        py::gil_scoped_acquire gil;
        auto version = optional_version("replace", call("replace", py::str(account.data(), account.size()),
                                                        py::cast(credentials)));
        if (!version) throw StoreError("token store's replace() must return the new version");
        return *version;
    }

    bool remove(std::string_view account) override {
        py::gil_scoped_acquire gil;
        py::object reply = call("remove", py::str(account.data(), account.size()));
        return PyObject_IsTrue(reply.ptr()) == 1;
    }

    // Without the lease methods the store is safe for one process only (calbridge.stores).
    RefreshLeases* refresh_leases() noexcept override { return leasing_ ? this : nullptr; }

    LeaseClaim claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                     std::chrono::milliseconds ttl) override {
        py::gil_scoped_acquire gil;
        py::object reply = call("claim", py::str(account.data(), account.size()), py::int_(expected_version),
                                py::str(owner.data(), owner.size()), py::float_(seconds(ttl)));
        ClaimTuple items;
        try {
            items = reply.cast<ClaimTuple>();
        } catch (const py::cast_error&) {
            throw StoreError("token store's claim() must return a calbridge.LeaseClaim");
        }
        auto& [status_text, credentials, version, epoch, remaining] = items;
        LeaseClaim claim;
        const auto status = status_from_name(status_text);
        if (!status) throw StoreError("token store's claim() returned an unknown status");
        claim.status = *status;
        if (claim.status == LeaseClaim::Status::missing) return claim;
        if (!credentials || version == 0) {
            throw StoreError(std::string("token store's claim() returned \"") + status_text +
                             "\" without the stored credentials and their version");
        }
        claim.stored = VersionedCredentials{std::move(*credentials), version,
                                            claim.status == LeaseClaim::Status::reauthorization_required};
        if (claim.status == LeaseClaim::Status::granted) {
            if (epoch == 0) throw StoreError("token store's claim() granted a lease without an epoch");
            if (version != expected_version) {
                throw StoreError("token store's claim() granted a lease on another version than the expected one");
            }
            claim.epoch = epoch;
        }
        if (claim.status == LeaseClaim::Status::held) {
            claim.remaining = std::isfinite(remaining) && remaining > 0
                                  ? std::chrono::milliseconds(static_cast<std::int64_t>(std::min(remaining, 86'400.0) * 1000))
                                  : std::chrono::milliseconds(0);
        }
        return claim;
    }

    bool renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) override {
        // Called from the core's renewal thread: the interpreter may be on its way out.
        if (interpreter_finalizing()) return false;
        py::gil_scoped_acquire gil;
        return truth(call("renew", py::str(account.data(), account.size()), py::int_(epoch), py::float_(seconds(ttl))));
    }

    void release(std::string_view account, std::uint64_t epoch) override {
        py::gil_scoped_acquire gil;
        (void)call("release", py::str(account.data(), account.size()), py::int_(epoch));
    }

    bool mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) override {
        py::gil_scoped_acquire gil;
        return truth(call("mark_reauthorization_required", py::str(account.data(), account.size()),
                          py::int_(expected_version)));
    }

    bool wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) override {
        if (!notifies_) return false;  // the core polls
        py::gil_scoped_acquire gil;
        return truth(call("wait_for_change", py::str(account.data(), account.size()), py::int_(version),
                          py::float_(seconds(timeout))));
    }

private:
    template <class... Args>
    py::object call(const char* method, Args&&... args) {
        try {
            return store_->attr(method)(std::forward<Args>(args)...);
        } catch (const py::error_already_set& e) {
            throw_with_python_cause<StoreError>(std::string("token store's ") + method + "()", e);
        }
    }

    static bool truth(const py::object& reply) { return PyObject_IsTrue(reply.ptr()) == 1; }

    static std::optional<std::uint64_t> optional_version(const char* method, const py::object& reply) {
        if (reply.is_none()) return std::nullopt;
        try {
            return reply.cast<std::uint64_t>();
        } catch (const py::cast_error&) {
            throw StoreError(std::string("token store's ") + method + "() must return a version (int) or None");
        }
    }

    PyRef store_;
    bool leasing_;
    bool notifies_;
};

// The lease methods of a native store that holds one (file, SQLite, PostgreSQL), in seconds.
template <class Store, class Class>
void def_lease_methods(Class& cls) {
    cls.def(
           "claim",
           [](Store& s, const std::string& account, std::uint64_t expected_version, const std::string& owner,
              double ttl) {
               const auto ttl_ms = milliseconds_from_seconds(ttl, "ttl");
               py::gil_scoped_release release;
               return to_tuple(s.claim(account, expected_version, owner, ttl_ms));
           },
           py::arg("account"), py::arg("expected_version"), py::arg("owner"), py::arg("ttl"))
        .def(
            "renew",
            [](Store& s, const std::string& account, std::uint64_t epoch, double ttl) {
                const auto ttl_ms = milliseconds_from_seconds(ttl, "ttl");
                py::gil_scoped_release release;
                return s.renew(account, epoch, ttl_ms);
            },
            py::arg("account"), py::arg("epoch"), py::arg("ttl"))
        .def(
            "release", [](Store& s, const std::string& account, std::uint64_t epoch) { s.release(account, epoch); },
            py::arg("account"), py::arg("epoch"), py::call_guard<py::gil_scoped_release>())
        .def(
            "mark_reauthorization_required",
            [](Store& s, const std::string& account, std::uint64_t expected_version) {
                return s.mark_reauthorization_required(account, expected_version);
            },
            py::arg("account"), py::arg("expected_version"), py::call_guard<py::gil_scoped_release>())
        .def(
            "wait_for_change",
            [](Store& s, const std::string& account, std::uint64_t version, double timeout) {
                const auto timeout_ms = milliseconds_from_seconds(timeout, "timeout");
                py::gil_scoped_release release;
                return s.wait_for_change(account, version, timeout_ms);
            },
            py::arg("account"), py::arg("version"), py::arg("timeout"));
}

}  // namespace

std::shared_ptr<TokenStore> store_from_python(const py::object& store) {
    if (store.is_none()) return std::make_shared<MemoryTokenStore>();
    if (py::isinstance<TokenStore>(store)) return store.cast<std::shared_ptr<TokenStore>>();
    const bool leasing = py::hasattr(store, "claim");
    const bool notifies = leasing && py::hasattr(store, "wait_for_change");
    return std::make_shared<PythonTokenStore>(share(store), leasing, notifies);
}

void init_store(py::module_& m) {
    using Versioned = std::optional<std::pair<Credentials, std::uint64_t>>;
    const auto unpack = [](std::optional<VersionedCredentials> v) -> Versioned {
        if (!v) return std::nullopt;
        return std::make_pair(std::move(v->credentials), v->version);
    };
    py::class_<TokenStore, std::shared_ptr<TokenStore>>(m, "TokenStore", "A native token store.")
        .def("load", [unpack](TokenStore& s, std::string account) {
                Versioned result;
                {
                    py::gil_scoped_release release;
                    result = unpack(s.load(account));
                }
                return result;
            }, py::arg("account"))
        .def("insert", &TokenStore::insert, py::arg("account"), py::arg("credentials"),
             py::call_guard<py::gil_scoped_release>())
        .def("save", &TokenStore::save, py::arg("account"), py::arg("credentials"), py::arg("expected_version"),
             py::call_guard<py::gil_scoped_release>())
        .def("replace", &TokenStore::replace, py::arg("account"), py::arg("credentials"),
             py::call_guard<py::gil_scoped_release>())
        .def("remove", &TokenStore::remove, py::arg("account"), py::call_guard<py::gil_scoped_release>());

    py::class_<MemoryTokenStore, TokenStore, std::shared_ptr<MemoryTokenStore>>(m, "MemoryTokenStore")
        .def(py::init<>());

    py::class_<FileTokenStore, TokenStore, std::shared_ptr<FileTokenStore>> file_store(m, "FileTokenStore");
    file_store.def(py::init<std::filesystem::path>(), py::arg("directory"), py::call_guard<py::gil_scoped_release>())
        .def_property_readonly("directory", &FileTokenStore::directory)
        .def("path_for", &FileTokenStore::path_for, py::arg("account"))
        .def("accounts", &FileTokenStore::accounts, py::call_guard<py::gil_scoped_release>());
    def_lease_methods<FileTokenStore>(file_store);

    py::class_<SqliteTokenStore, TokenStore, std::shared_ptr<SqliteTokenStore>> sqlite_store(m, "SqliteTokenStore");
    sqlite_store
        .def(py::init([](std::filesystem::path file, double busy_timeout) {
                 SqliteStoreOptions options;
                 options.busy_timeout = milliseconds_from_seconds(busy_timeout, "busy_timeout");
                 py::gil_scoped_release release;
                 return std::make_shared<SqliteTokenStore>(std::move(file), options);
             }),
             py::arg("file"), py::arg("busy_timeout"))
        .def_property_readonly("file", &SqliteTokenStore::file);
    def_lease_methods<SqliteTokenStore>(sqlite_store);

    py::class_<PostgresTokenStore, TokenStore, std::shared_ptr<PostgresTokenStore>> postgres_store(m, "PostgresTokenStore");
    postgres_store
        .def(py::init([](std::string conninfo, int pool_size, double statement_timeout, std::string table,
                         bool create_schema, double poll_interval) {
                 if (pool_size < 1) throw InvalidArgumentError("pool_size must be at least 1");
                 PostgresStoreOptions options;
                 options.pool_size = pool_size;
                 options.statement_timeout = milliseconds_from_seconds(statement_timeout, "statement_timeout");
                 options.table = std::move(table);
                 options.create_schema = create_schema;
                 options.poll_interval = milliseconds_from_seconds(poll_interval, "poll_interval");
                 py::gil_scoped_release release;
                 return std::make_shared<PostgresTokenStore>(std::move(conninfo), std::move(options));
             }),
             py::arg("conninfo"), py::arg("pool_size"), py::arg("statement_timeout"), py::arg("table"),
             py::arg("create_schema"), py::arg("poll_interval"))
        .def("create_schema", &PostgresTokenStore::create_schema, py::call_guard<py::gil_scoped_release>());
    def_lease_methods<PostgresTokenStore>(postgres_store);

    m.def("open_token_store", &open_token_store, py::arg("name"), py::call_guard<py::gil_scoped_release>(),
          "The store a name describes (memory:, file:DIR, sqlite:PATH, postgresql://...).");
}

}  // namespace calbridge::python
