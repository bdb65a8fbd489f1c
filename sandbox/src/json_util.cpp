#include "json_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>

namespace calbridge::sandbox {

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629 §4), 0 if none.
std::size_t utf8_sequence(std::string_view s) noexcept {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return i < s.size() && at(i) >= lo && at(i) <= hi;
    };
    const unsigned char c = at(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

// Boost.JSON serializes a string's bytes as they are, and request values (percent-decoded
// queries and forms) quoted in a message may be any bytes: each byte that starts no
// well-formed UTF-8 sequence becomes U+FFFD, so every body is valid JSON. (Outside strings
// serialized JSON is ASCII, so this touches string contents only.)
std::string valid_utf8(std::string text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t n = utf8_sequence(std::string_view(text).substr(i));
        if (n == 0) break;
        i += n;
    }
    if (i == text.size()) return text;  // the usual case: nothing to replace
    std::string out = text.substr(0, i);
    while (i < text.size()) {
        const std::size_t n = utf8_sequence(std::string_view(text).substr(i));
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(text, i, n);
            i += n;
        }
    }
    return out;
}

}  // namespace

Response json_response(int status, const json::value& body) {
    Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", std::string(json_content_type)});
    r.body = valid_utf8(json::serialize(body));
    return r;
}

Response empty_response(int status) {
    Response r;
    r.status = status;
    return r;
}

Response oauth_error(int status, std::string_view error, std::string_view description) {
    json::object body;
    body["error"] = error;
    if (!description.empty()) body["error_description"] = description;
    Response r = json_response(status, body);
    r.headers.push_back({"Cache-Control", "no-store"});
    r.headers.push_back({"Pragma", "no-cache"});
    return r;
}

Response api_error(int status, std::string_view error, std::string_view description) {
    json::object body;
    body["error"] = error;
    if (!description.empty()) body["error_description"] = description;
    return json_response(status, body);
}

Response validation_error(const std::vector<FieldError>& errors) {
    json::object fields;
    for (const auto& e : errors) {
        json::object item;
        item["key"] = e.key;
        item["description"] = e.description;
        auto it = fields.find(e.field);
        if (it == fields.end()) it = fields.emplace(e.field, json::array()).first;
        it->value().as_array().push_back(std::move(item));
    }
    json::object body;
    body["errors"] = std::move(fields);
    return json_response(422, body);
}

Response input_error_response(const InputError& e) {
    return validation_error({{e.field(), e.key(), e.description()}});
}

std::optional<json::value> parse_json(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

std::optional<std::string> get_string(const json::object& o, std::string_view key, bool required) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        if (required) throw InputError(std::string(key), "errors.required", "is required");
        return std::nullopt;
    }
    if (!v->is_string()) throw InputError(std::string(key), "errors.invalid", "must be a string");
    return std::string(v->get_string());
}

std::optional<bool> get_bool(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_bool()) throw InputError(std::string(key), "errors.invalid", "must be true or false");
    return v->get_bool();
}

std::optional<std::int64_t> get_int(const json::object& o, std::string_view key, std::int64_t min,
                                    std::int64_t max) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    const auto out_of_range = [&] {
        return InputError(std::string(key), "errors.invalid",
                          "must be between " + std::to_string(min) + " and " + std::to_string(max));
    };
    // Boost.JSON keeps a number as int64 when it can, as uint64 above int64's range, and as
    // a double when it has a fraction or an exponent ("1e3", "1e3081", which is infinity).
    std::int64_t n = 0;
    if (v->is_int64()) {
        n = v->get_int64();
    } else if (v->is_uint64()) {
        if (max < 0 || v->get_uint64() > static_cast<std::uint64_t>(max)) throw out_of_range();
        n = static_cast<std::int64_t>(v->get_uint64());
    } else if (const double* d = v->if_double(); d != nullptr && std::trunc(*d) == *d) {
        // A whole number or an infinity. Outside [-2^63, 2^63) converting it to int64 would be
        // undefined, and it is outside [min, max] anyway.
        constexpr double two_to_the_63 = 9223372036854775808.0;
        if (!(*d >= -two_to_the_63 && *d < two_to_the_63)) throw out_of_range();
        n = static_cast<std::int64_t>(*d);
    } else {
        throw InputError(std::string(key), "errors.invalid", "must be an integer");
    }
    if (n < min || n > max) throw out_of_range();
    return n;
}

const json::array* get_array(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_array()) throw InputError(std::string(key), "errors.invalid", "must be an array");
    return &v->get_array();
}

const json::object* get_object(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) throw InputError(std::string(key), "errors.invalid", "must be an object");
    return &v->get_object();
}

const json::object& as_object(const json::value& v, std::string_view what) {
    if (!v.is_object()) throw InputError(std::string(what), "errors.invalid", "must be an object");
    return v.get_object();
}

void check_keys(const json::object& o, std::string_view what, std::initializer_list<std::string_view> known) {
    for (const auto& kv : o) {
        if (std::find(known.begin(), known.end(), std::string_view(kv.key())) == known.end()) {
            throw InputError(std::string(what) + "." + std::string(kv.key()), "errors.unknown",
                             "is not a known field");
        }
    }
}

}  // namespace calbridge::sandbox
