// A throwaway certificate authority and a server certificate it signs, made at start with
// OpenSSL: EC P-256 keys, the server certificate valid for localhost, 127.0.0.1 and ::1 (and
// any extra host the sandbox listens on).
#pragma once

#include <string>
#include <vector>

namespace calbridge::sandbox {

struct Pki {
    std::string ca_cert_pem;      // what clients trust (written to the CA file)
    std::string server_cert_pem;  // the server's certificate followed by the CA's
    std::string server_key_pem;   // never leaves memory
};

// A certificate authority: its self-signed certificate and its private key, in PEM.
struct CertificateAuthority {
    std::string cert_pem;
    std::string key_pem;  // written only to a --ca-dir, mode 0600
};

// A new CA (ten years). Throws on failure.
CertificateAuthority make_certificate_authority();

// A fresh server certificate signed by `ca` (a fresh CA when none is given). extra_hosts: more
// names or IP addresses for the server certificate. Throws on failure, also when `ca`'s key
// does not match its certificate.
Pki make_pki(const std::vector<std::string>& extra_hosts = {});
Pki make_pki(const CertificateAuthority& ca, const std::vector<std::string>& extra_hosts = {});

}  // namespace calbridge::sandbox
