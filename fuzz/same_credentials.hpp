// Comparing credentials after a to_json → from_json round trip, for the targets that check it.
//
// One tolerance: Boost.JSON before 1.83 does not round every decimal number correctly, so a
// number among the unknown fields kept in extra_json may move by an ulp or so each time it is
// read back (fuzz/RESULTS.md, finding 5; fuzz/regressions/credentials_json/extra-number-drift,
// fuzz/regressions/token_reply/extra-number-drift). Numbers in extra_json are compared with a
// relative tolerance of 1e-15; everything else exactly.
#pragma once

#include "credentials/credentials_json.hpp"

#include <calbridge/credentials.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace calbridge::fuzz {

inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
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

inline bool same_credentials(const Credentials& a, const Credentials& b) {
    if (a.extra_json.empty() || b.extra_json.empty()) return a == b;
    Credentials a2 = a;
    Credentials b2 = b;
    a2.extra_json.clear();
    b2.extra_json.clear();
    const auto options = detail::stored_json_parse_options();
    return a2 == b2 && same_json(boost::json::parse(a.extra_json, {}, options),
                                 boost::json::parse(b.extra_json, {}, options));
}

}  // namespace calbridge::fuzz
