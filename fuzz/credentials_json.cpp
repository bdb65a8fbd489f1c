// Credentials::from_json: the stored form, every format (0: the token endpoint's reply as
// earlier tools stored it; 1: the current one), as a store hands it back.
//
// Invariants: only calbridge errors; what from_json accepts survives to_json → from_json
// unchanged; a ProtocolError names a field, never a token (no access_token or refresh_token
// value of the input in its message).
//
// One tolerance: Boost.JSON before 1.83 does not round every decimal number correctly, so a
// number among the unknown fields kept in extra_json may move by an ulp or so when read back
// (fuzz/regressions/credentials_json/extra-number-drift). Numbers in extra_json are compared
// with a relative tolerance of 1e-15; everything else exactly.
#include "fuzz_support.hpp"

#include "credentials/credentials_json.hpp"

#include <calbridge/credentials.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace calbridge;

// Long token values of the input (short ones could be words of any message).
std::vector<std::string> token_values(std::string_view text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec, {}, detail::stored_json_parse_options());
    if (ec || !v.is_object()) return out;
    for (const char* key : {"access_token", "refresh_token"}) {
        const auto* t = v.get_object().if_contains(key);
        if (t != nullptr && t->is_string() && t->get_string().size() >= 12) out.emplace_back(t->get_string());
    }
    return out;
}

bool same_json(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.kind() == b.kind() && a == b) return true;
        const double x = a.to_number<double>();
        const double y = b.to_number<double>();
        return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_object()) {
        const auto& x = a.get_object();
        const auto& y = b.get_object();
        if (x.size() != y.size()) return false;
        for (const auto& member : x) {
            const auto* other = y.if_contains(member.key());
            if (other == nullptr || !same_json(member.value(), *other)) return false;
        }
        return true;
    }
    if (a.is_array()) {
        const auto& x = a.get_array();
        const auto& y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!same_json(x[i], y[i])) return false;
        }
        return true;
    }
    return a == b;
}

bool same_credentials(const Credentials& a, const Credentials& b) {
    if (a.extra_json.empty() || b.extra_json.empty()) return a == b;
    Credentials a2 = a;
    Credentials b2 = b;
    a2.extra_json.clear();
    b2.extra_json.clear();
    const auto options = detail::stored_json_parse_options();
    return a2 == b2 && same_json(boost::json::parse(a.extra_json, {}, options), boost::json::parse(b.extra_json, {}, options));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const Credentials c = Credentials::from_json(text);
        const std::string stored = c.to_json();
        const Credentials back = Credentials::from_json(stored);
        fuzz::check(same_credentials(back, c), "stored credentials survive to_json and from_json", stored);
    } catch (const Error& e) {
        for (const std::string& token : token_values(text)) {
            if (fuzz::contains(e.what(), token)) fuzz::fail("a token reached an error message", e.what());
        }
    } catch (const std::exception& e) {
        fuzz::fail("a non-calbridge exception escaped", e.what());
    }
    return 0;
}
