// Credentials::from_json: the stored form, every format (0: the token endpoint's reply as
// earlier tools stored it; 1: the current one), as a store hands it back.
//
// Invariants: only calbridge errors; what from_json accepts survives to_json → from_json
// unchanged; a ProtocolError names a field, never a token (no access_token or refresh_token
// value of the input in its message). Numbers among the unknown fields are compared with a
// tolerance (same_credentials.hpp).
#include "fuzz_support.hpp"
#include "same_credentials.hpp"

#include "credentials/credentials_json.hpp"

#include <calbridge/credentials.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const Credentials c = Credentials::from_json(text);
        const std::string stored = c.to_json();
        const Credentials back = Credentials::from_json(stored);
        fuzz::check(fuzz::same_credentials(back, c), "stored credentials survive to_json and from_json", stored);
    } catch (const Error& e) {
        for (const std::string& token : token_values(text)) {
            if (fuzz::contains(e.what(), token)) fuzz::fail("a token reached an error message", e.what());
        }
    } catch (const std::exception& e) {
        fuzz::fail("a non-calbridge exception escaped", e.what());
    }
    return 0;
}
