// The exception → status code mapper used by every entry point, and the thread-local record
// behind calbridge_error_last().
#include "errors.hpp"

#include <boost/json.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace calbridge::capi {

namespace {

thread_local const char* current_entry_point = nullptr;

// The record calbridge_error_last() points to. Its strings are kept here; the C view points
// into them (or, when even recording failed for lack of memory, to static text).
struct LastError {
    calbridge_error view{};
    std::string code_name;
    std::string message;
    std::string oauth_error;
    std::string oauth_error_description;
    std::string oauth_error_uri;
    std::string field_errors_json;

    LastError() { clear(CALBRIDGE_OK); }

    void point_view(int code, std::int64_t retry_after_seconds, int http_status) noexcept {
        view.code = code;
        view.code_name = code_name.c_str();
        view.message = message.c_str();
        view.http_status = http_status;
        view.oauth_error = oauth_error.c_str();
        view.oauth_error_description = oauth_error_description.c_str();
        view.oauth_error_uri = oauth_error_uri.c_str();
        view.retry_after_seconds = retry_after_seconds;
        view.field_errors_json = field_errors_json.c_str();
    }

    // Never allocates more than the short names need (std::string's small buffer holds them).
    void clear(int code) noexcept {
        message.clear();
        oauth_error.clear();
        oauth_error_description.clear();
        oauth_error_uri.clear();
        try {
            code_name = calbridge_error_code_name(code);
            field_errors_json = "[]";
        } catch (...) {
            code_name.clear();
            field_errors_json.clear();
        }
        point_view(code, -1, 0);
    }

    void set(int code, const char* what, const ErrorDetails* details) noexcept {
        try {
            clear(code);
            message = what;
            std::int64_t retry_after = -1;
            int http_status = 0;
            if (details != nullptr) {
                http_status = details->http_status;
                oauth_error = details->oauth_error;
                oauth_error_description = details->oauth_error_description;
                oauth_error_uri = details->oauth_error_uri;
                if (details->retry_after) retry_after = details->retry_after->count();
                if (!details->field_errors.empty()) {
                    boost::json::array fields;
                    for (const auto& f : details->field_errors) {
                        fields.push_back(boost::json::object{
                            {"field", f.field}, {"key", f.key}, {"description", f.description}});
                    }
                    field_errors_json = boost::json::serialize(fields);
                }
            }
            point_view(code, retry_after, http_status);
        } catch (...) {
            clear(code);
            view.message = "out of memory while recording an error";
        }
    }
};

thread_local LastError last_error;

}  // namespace

EntryPoint::EntryPoint(const char* name) noexcept : previous_(current_entry_point) { current_entry_point = name; }
EntryPoint::~EntryPoint() { current_entry_point = previous_; }
const char* EntryPoint::current() noexcept { return current_entry_point != nullptr ? current_entry_point : "calbridge"; }

int record_success(int status) noexcept {
    last_error.clear(CALBRIDGE_OK);
    return status;
}

int record_current_exception() noexcept {
    try {
        throw;
    } catch (const Error& e) {
        const int code = static_cast<int>(e.code());
        // A calbridge::Error always carries an error code; ok would be a bug.
        last_error.set(code < 0 ? code : CALBRIDGE_EINTERNAL, e.what(), &e.details());
    } catch (const std::bad_alloc&) {
        last_error.set(CALBRIDGE_EINTERNAL, "out of memory", nullptr);
    } catch (const std::exception& e) {
        // Not part of the error tree: a bug in calbridge (or a standard library failure).
        try {
            last_error.set(CALBRIDGE_EINTERNAL, (std::string("internal error: ") + e.what()).c_str(), nullptr);
        } catch (...) {
            last_error.set(CALBRIDGE_EINTERNAL, "internal error", nullptr);
        }
    } catch (...) {
        last_error.set(CALBRIDGE_EINTERNAL, "internal error: an unknown exception", nullptr);
    }
    return last_error.view.code;
}

void invalid_argument(std::string_view what) {
    std::string message = EntryPoint::current();
    message += ": ";
    message += what;
    throw InvalidArgumentError(message);
}

std::string_view required_string(const char* value, const char* name) {
    if (value == nullptr) invalid_argument(std::string(name) + " is NULL");
    return value;
}

void check_version(unsigned int version, unsigned int supported, const char* name) {
    if (version == 0 || version > supported) {
        invalid_argument(std::string(name) + " has version " + std::to_string(version) + "; this library supports 1 to " +
                         std::to_string(supported) + " (use the ..._INIT macro or ..._init())");
    }
}

char* copy_out(std::string_view text) {
    auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) throw std::bad_alloc();
    if (!text.empty()) std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    return copy;
}

void wipe_string(char* text) noexcept {
    if (text != nullptr) ::explicit_bzero(text, std::strlen(text));
}

}  // namespace calbridge::capi

using namespace calbridge::capi;

extern "C" {

const calbridge_error* calbridge_error_last(void) { return &last_error.view; }

const char* calbridge_error_code_name(int code) {
    // Names come from the core (calbridge::error_code_name), copied once into static storage
    // so that they are NUL-terminated whatever the core returns.
    constexpr int lowest = -127;
    static const auto names = [] {
        std::array<std::string, 1 - lowest> table;
        for (int c = 0; c >= lowest; --c) {
            table[static_cast<std::size_t>(-c)] = std::string(calbridge::error_code_name(static_cast<calbridge::ErrorCode>(c)));
        }
        return table;
    }();
    if (code == CALBRIDGE_DONE) return "done";
    if (code > 0 || code < lowest) return "unknown";
    return names[static_cast<std::size_t>(-code)].c_str();
}

}  // extern "C"
