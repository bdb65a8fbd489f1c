// JSON responses, RFC 6749 §5.2 and 422 error bodies, and checked reads of JSON input.
#pragma once

#include "request.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge::sandbox {

namespace json = boost::json;

inline constexpr std::string_view json_content_type = "application/json; charset=utf-8";

Response json_response(int status, const json::value& body);
Response empty_response(int status);

// RFC 6749 §5.2: {"error", "error_description"}, with Cache-Control: no-store.
Response oauth_error(int status, std::string_view error, std::string_view description);

// A bare {"error": ...} for API errors that are not validation errors (401, 403, 404, ...).
Response api_error(int status, std::string_view error, std::string_view description);

// docs/PROTOCOL.md §6: 422 {"errors": {"field": [{"key": "errors.code", "description": "..."}]}}.
struct FieldError {
    std::string field;
    std::string key;  // "errors.required", "errors.invalid", ...
    std::string description;
};
Response validation_error(const std::vector<FieldError>& errors);

// Invalid JSON input (admin API, config file): the field and what is wrong with it.
class InputError : public std::runtime_error {
public:
    InputError(std::string field, std::string key, std::string description)
        : std::runtime_error(field + ": " + description),
          field_(std::move(field)),
          key_(std::move(key)),
          description_(std::move(description)) {}
    const std::string& field() const noexcept { return field_; }
    const std::string& key() const noexcept { return key_; }
    const std::string& description() const noexcept { return description_; }
    // The same error, for a field inside `outer` ("users[3]" + "email" -> "users[3].email").
    InputError within(const std::string& outer) const { return {outer + "." + field_, key_, description_}; }

private:
    std::string field_;
    std::string key_;
    std::string description_;
};
Response input_error_response(const InputError& e);

std::optional<json::value> parse_json(std::string_view text);

// Checked reads: a missing key gives the fallback (or InputError "errors.required" when
// required); a present key of the wrong type gives InputError "errors.invalid".
std::optional<std::string> get_string(const json::object& o, std::string_view key, bool required = false);
std::optional<bool> get_bool(const json::object& o, std::string_view key);
std::optional<std::int64_t> get_int(const json::object& o, std::string_view key, std::int64_t min,
                                    std::int64_t max);
const json::array* get_array(const json::object& o, std::string_view key);
const json::object* get_object(const json::object& o, std::string_view key);
const json::object& as_object(const json::value& v, std::string_view what);

// Rejects keys not in `known` (catches typos in config files and admin calls).
void check_keys(const json::object& o, std::string_view what, std::initializer_list<std::string_view> known);

}  // namespace calbridge::sandbox
