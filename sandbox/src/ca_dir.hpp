// --ca-dir DIR: the sandbox's CA kept across restarts, so that a client which trusts it (a saved
// connection of the calbridge command) still trusts the sandbox after a restart.
//
//   DIR/ca-key.pem   the CA's private key, created with mode 0600; a key file that another user
//                    owns or that its group or others may read is refused
//   DIR/ca.pem       the CA certificate (what clients trust)
//
// The first start creates DIR (mode 0700 when it is new) and both files; later starts reuse
// them and sign a fresh server certificate with the same CA.
#pragma once

#include "pki.hpp"

#include <filesystem>

namespace calbridge::sandbox {

inline constexpr const char* ca_key_file_name = "ca-key.pem";
inline constexpr const char* ca_cert_file_name = "ca.pem";

// Loads the CA from `dir`, or makes one and writes it there. Throws std::runtime_error naming
// the file and the fix when a file cannot be used.
CertificateAuthority load_or_create_ca(const std::filesystem::path& dir);

}  // namespace calbridge::sandbox
