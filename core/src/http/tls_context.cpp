#include "http/tls_context.hpp"

#include "http/transport_errors.hpp"

#include <calbridge/errors.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace calbridge::http {

namespace {

std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown error";
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
}

struct CtxDeleter {
    void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct BioDeleter {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct X509Deleter {
    void operator()(X509* cert) const noexcept { X509_free(cert); }
};

void add_pem_certificates(SSL_CTX* ctx, const std::string& pem) {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw InternalError("out of memory reading the CA PEM");
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (std::unique_ptr<X509, X509Deleter> cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            throw ConfigurationError("tls.ca_pem: a certificate could not be added: " + openssl_error());
        }
        ++added;
    }
    ERR_clear_error();  // the loop ends on "no start line"
    if (added == 0) throw ConfigurationError("tls.ca_pem contains no PEM certificate");
}

// OpenSSL 3.0 computes a certificate's cached extensions (key identifiers, CA flag) the first
// time a chain is verified against it, behind an unlocked "already done?" check. Trust anchors in
// the store are shared by every connection, so two threads verifying their first handshakes at
// once would race on that cache (ThreadSanitizer sees it). Computing it here, before the context
// is shared, makes every later use a read. Certificates the system store's hashed directory
// loads on demand later are still computed lazily; OpenSSL 3.2+ does that under its lock.
void precompute_certificate_caches(SSL_CTX* ctx) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
        if (X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) {
            (void)X509_check_purpose(cert, -1, 0);  // fills the cache; the answer is not needed
        }
    }
    ERR_clear_error();
}

}  // namespace

ssl_ctx_st* make_client_tls_context(const TlsTrust& trust) {
    std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) throw InternalError("cannot create an OpenSSL context: " + openssl_error());
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

    switch (trust.source) {
        case TlsTrust::Source::system:
            // The distribution's store; SSL_CERT_FILE and SSL_CERT_DIR override it, as for curl.
            if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
                throw ConfigurationError("cannot use the system trust store: " + openssl_error());
            }
            break;
        case TlsTrust::Source::ca_file:
            if (SSL_CTX_load_verify_locations(ctx.get(), trust.ca_file.c_str(), nullptr) != 1) {
                throw ConfigurationError("cannot load CA certificates from tls.ca_file " + trust.ca_file + ": " +
                                         openssl_error());
            }
            break;
        case TlsTrust::Source::ca_pem:
            add_pem_certificates(ctx.get(), trust.ca_pem);
            break;
    }
    if (trust.source != TlsTrust::Source::system) {
        // A CA given in config is trusted as given, even when it is an intermediate (as curl).
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx.get()), X509_V_FLAG_PARTIAL_CHAIN);
    }
    precompute_certificate_caches(ctx.get());
    return ctx.release();
}

void prepare_tls_connection(ssl_st* ssl, const std::string& host, bool host_is_ip) {
    if (host_is_ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
            throw TlsError("cannot verify the IP address " + host + ": " + openssl_error(), permanent_failure());
        }
        return;
    }
    std::string name = host;  // SSL_set_tlsext_host_name takes a non-const pointer
    if (SSL_set_tlsext_host_name(ssl, name.data()) != 1 || SSL_set1_host(ssl, name.c_str()) != 1) {
        throw TlsError("cannot set the TLS host name " + host + ": " + openssl_error(), permanent_failure());
    }
    // The name only from the subjectAltName: a subject CN is never taken for it (RFC 6125 §6.4.4
    // allows the fallback; browsers dropped it, and it lets a CA-signed non-server name pass).
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
}

std::string certificate_failure(const ssl_st* ssl) {
    const long result = SSL_get_verify_result(ssl);
    if (result == X509_V_OK) return {};
    return X509_verify_cert_error_string(result);
}

}  // namespace calbridge::http
