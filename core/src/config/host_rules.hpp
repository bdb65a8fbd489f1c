// The host rules of redirect URIs: wildcard entries, plain host names, loopback. Internal to the
// core (config.cpp applies them).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace calbridge::detail {

// A plain DNS name: labels of lowercase letters, digits and '-' (not first or last), 1 to 63
// characters each, no empty label. No percent-encoding, no IP literal, nothing a browser or a
// server could read as another host.
bool is_plain_host_name(std::string_view host) noexcept;

// Why the wildcard host of a registered redirect URI ("*.example.com") is refused, or "" when it
// is accepted. The rule, without the Public Suffix List: the part after "*." is a plain host
// name of at least two labels whose last label is not all digits, and not one of the
// well-known two-label public suffixes (co.uk, com.au, co.jp, ...: public_two_label_suffixes()).
// So "*.com", "*.co.uk" and "*.1.0.0.127" are refused, "*.example.com" and "*.example.co.uk"
// accepted. A registry suffix of three labels or one missing from the list is not caught: keep
// wildcard entries to domains you own.
std::string wildcard_problem(std::string_view pattern);

const std::vector<std::string_view>& public_two_label_suffixes() noexcept;

// The addresses `host` resolves to, as text ("127.0.0.1", "::1"); empty when it does not.
using HostResolver = std::function<std::vector<std::string>(std::string_view host)>;
std::vector<std::string> resolve_host(std::string_view host);

// is_loopback_host() with the resolver for "localhost" given (tests give their own).
bool is_loopback_host(std::string_view host, const HostResolver& resolve) noexcept;

}  // namespace calbridge::detail
