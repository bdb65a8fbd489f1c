#include "pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <functional>
#include <memory>
#include <stdexcept>

namespace calbridge::sandbox {

namespace {

constexpr long ca_validity = 10L * 365 * 86400;
constexpr long server_validity = 365L * 86400;
constexpr long backdate = 3600;  // tolerate a client clock slightly behind ours

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct ExtFree { void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

[[noreturn]] void fail(const std::string& what) {
    const unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
    throw std::runtime_error("certificate generation failed: " + what + (e != 0 ? std::string(": ") + buf : ""));
}

void check(int ok, const char* what) {
    if (ok != 1) fail(what);
}

Pkey make_key() {
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) fail("EC P-256 key generation");
    return key;
}

void set_random_serial(X509* cert) {
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_new(), BN_free);
    if (!bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) fail("serial number");
    if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) fail("serial number");
}

void set_name(X509_NAME* name, const char* common_name) {
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("calbridge sandbox"),
                                     -1, -1, 0),
          "subject");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1,
                                     -1, 0),
          "subject");
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext) fail("extension " + value);
    check(X509_add_ext(cert, ext.get(), -1), "add extension");
}

Cert new_cert(EVP_PKEY* key, long validity) {
    Cert cert(X509_new());
    if (!cert) fail("X509_new");
    check(X509_set_version(cert.get(), 2), "version");
    set_random_serial(cert.get());
    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity) == nullptr) {
        fail("validity");
    }
    check(X509_set_pubkey(cert.get(), key), "public key");
    return cert;
}

std::string pem(const std::function<int(BIO*)>& write) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) fail("PEM encoding");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

bool is_ip(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::unique_ptr<BIO, BioFree> memory_bio(const std::string& pem_text) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem_text.data(), static_cast<int>(pem_text.size())));
    if (!bio) fail("reading PEM");
    return bio;
}

}  // namespace

CertificateAuthority make_certificate_authority() {
    Pkey ca_key = make_key();
    Cert ca = new_cert(ca_key.get(), ca_validity);
    set_name(X509_get_subject_name(ca.get()), "calbridge-sandbox local CA");
    check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "issuer");
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    add_extension(ca.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) fail("signing the CA certificate");
    CertificateAuthority out;
    out.cert_pem = pem([&](BIO* b) { return PEM_write_bio_X509(b, ca.get()); });
    out.key_pem = pem([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, ca_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
}

Pki make_pki(const std::vector<std::string>& extra_hosts) {
    return make_pki(make_certificate_authority(), extra_hosts);
}

Pki make_pki(const CertificateAuthority& authority, const std::vector<std::string>& extra_hosts) {
    Cert ca(PEM_read_bio_X509(memory_bio(authority.cert_pem).get(), nullptr, nullptr, nullptr));
    if (!ca) fail("reading the CA certificate");
    Pkey ca_key(PEM_read_bio_PrivateKey(memory_bio(authority.key_pem).get(), nullptr, nullptr, nullptr));
    if (!ca_key) fail("reading the CA key");
    if (X509_check_private_key(ca.get(), ca_key.get()) != 1) fail("the CA key does not match the CA certificate");

    Pkey key = make_key();
    Cert server = new_cert(key.get(), server_validity);
    set_name(X509_get_subject_name(server.get()), "localhost");
    check(X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get())), "issuer");
    std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
    for (const auto& h : extra_hosts) {
        if (h.empty() || h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "0.0.0.0" || h == "::") continue;
        san += (is_ip(h) ? ",IP:" : ",DNS:") + h;
    }
    add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(server.get(), ca.get(), NID_subject_alt_name, san);
    add_extension(server.get(), ca.get(), NID_subject_key_identifier, "hash");
    add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    if (X509_sign(server.get(), ca_key.get(), EVP_sha256()) == 0) fail("signing the server certificate");

    Pki out;
    out.ca_cert_pem = authority.cert_pem;
    out.server_cert_pem = pem([&](BIO* b) { return PEM_write_bio_X509(b, server.get()); }) + out.ca_cert_pem;
    out.server_key_pem = pem([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
}

}  // namespace calbridge::sandbox
