// Token stores: the core's own (memory, file) for Python, and any Python object as a
// calbridge::TokenStore for the core. The core calls a store on the calling thread and never
// while it holds a lock, so taking the GIL inside each call cannot deadlock.
#include "python_errors.hpp"

#include <calbridge/store.hpp>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <optional>

namespace calbridge::python {

namespace {

class PythonTokenStore final : public TokenStore {
public:
    explicit PythonTokenStore(PyRef store) : store_(std::move(store)) {}

    std::optional<VersionedCredentials> load(std::string_view account) override {
        py::gil_scoped_acquire gil;
        py::object reply = call("load", py::str(account.data(), account.size()));
        if (reply.is_none()) return std::nullopt;
        try {
            auto pair = reply.cast<std::pair<Credentials, std::uint64_t>>();
            return VersionedCredentials{std::move(pair.first), pair.second};
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

private:
    template <class... Args>
    py::object call(const char* method, Args&&... args) {
        try {
            return store_->attr(method)(std::forward<Args>(args)...);
        } catch (const py::error_already_set& e) {
            throw_with_python_cause<StoreError>(std::string("token store's ") + method + "()", e);
        }
    }

    static std::optional<std::uint64_t> optional_version(const char* method, const py::object& reply) {
        if (reply.is_none()) return std::nullopt;
        try {
            return reply.cast<std::uint64_t>();
        } catch (const py::cast_error&) {
            throw StoreError(std::string("token store's ") + method + "() must return a version (int) or None");
        }
    }

    PyRef store_;
};

}  // namespace

std::shared_ptr<TokenStore> store_from_python(const py::object& store) {
    if (store.is_none()) return std::make_shared<MemoryTokenStore>();
    if (py::isinstance<TokenStore>(store)) return store.cast<std::shared_ptr<TokenStore>>();
    return std::make_shared<PythonTokenStore>(share(store));
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

    py::class_<FileTokenStore, TokenStore, std::shared_ptr<FileTokenStore>>(m, "FileTokenStore")
        .def(py::init<std::filesystem::path>(), py::arg("directory"), py::call_guard<py::gil_scoped_release>())
        .def_property_readonly("directory", &FileTokenStore::directory)
        .def("path_for", &FileTokenStore::path_for, py::arg("account"));
}

}  // namespace calbridge::python
