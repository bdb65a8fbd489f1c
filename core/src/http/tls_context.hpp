// OpenSSL set-up for the HTTPS transport, kept apart from Asio and Beast: the client context
// (protocol floor, peer verification, trust) and what each connection adds (SNI, the name or
// address its certificate must carry).
#pragma once

#include <calbridge/config.hpp>

#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace calbridge::http {

// A new SSL_CTX, owned by the caller: TLS 1.2 or later, peer verification on, trust from
// `trust` (the system store, a CA file, or PEM text). Throws ConfigurationError when the CA
// file or PEM yields no certificate.
ssl_ctx_st* make_client_tls_context(const TlsTrust& trust);

// Before the handshake: SNI for a host name (never for an IP address, RFC 6066 §3), and the
// name or IP address the peer's certificate must match. Throws TlsError if OpenSSL refuses.
void prepare_tls_connection(ssl_st* ssl, const std::string& host, bool host_is_ip);

// After a failed handshake: why the peer's certificate was refused ("certificate has
// expired", "hostname mismatch", ...), or empty when verification was not the reason.
std::string certificate_failure(const ssl_st* ssl);

}  // namespace calbridge::http
