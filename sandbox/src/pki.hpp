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

// extra_hosts: more names or IP addresses for the server certificate. Throws on failure.
Pki make_pki(const std::vector<std::string>& extra_hosts = {});

}  // namespace calbridge::sandbox
