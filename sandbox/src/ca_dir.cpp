#include "ca_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace calbridge::sandbox {

namespace {

[[noreturn]] void refuse(const fs::path& path, const std::string& why) {
    throw std::runtime_error("--ca-dir: " + path.string() + ": " + why);
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// The key file's text, refusing a file that is not a regular file of ours readable by us only.
// False when it does not exist.
bool read_private_key(const fs::path& path, std::string& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return false;
        refuse(path, std::string("cannot open the CA key: ") + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        refuse(path, std::string("cannot read the CA key: ") + std::strerror(e));
    }
    std::string why;
    if (!S_ISREG(st.st_mode)) {
        why = "the CA key is not a regular file";
    } else if (st.st_uid != ::geteuid()) {
        why = "the CA key belongs to another user";
    } else if ((st.st_mode & 077) != 0) {
        why = "the CA key has mode " + octal_mode(st.st_mode) +
              "; it must be readable by its owner only (chmod 600 it, or remove the directory to make a new CA)";
    }
    if (!why.empty()) {
        ::close(fd);
        refuse(path, why);
    }
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            refuse(path, std::string("cannot read the CA key: ") + std::strerror(e));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return true;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) refuse(path, "cannot read the CA certificate (remove the directory to make a new CA)");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Created with O_EXCL and mode 0600 from the start: the key is never readable by others, not
// even for a moment.
void write_private_key(const fs::path& path, const std::string& pem) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) refuse(path, std::string("cannot create the CA key: ") + std::strerror(errno));
    std::size_t done = 0;
    while (done < pem.size()) {
        const ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = errno;
            ::close(fd);
            fs::remove(path);
            refuse(path, std::string("cannot write the CA key: ") + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) refuse(path, "cannot write the CA key");
}

void write_certificate(const fs::path& path, const std::string& pem) {
    const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << pem;
        if (!out.flush()) refuse(tmp, "cannot write the CA certificate");
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    fs::rename(tmp, path);
}

}  // namespace

CertificateAuthority load_or_create_ca(const fs::path& dir) {
    std::error_code ec;
    if (fs::create_directories(dir, ec)) {
        fs::permissions(dir, fs::perms::owner_all, ec);
    } else if (ec) {
        refuse(dir, "cannot create the directory: " + ec.message());
    } else if (!fs::is_directory(dir)) {
        refuse(dir, "not a directory");
    }
    const fs::path key_path = dir / ca_key_file_name;
    const fs::path cert_path = dir / ca_cert_file_name;

    CertificateAuthority ca;
    if (read_private_key(key_path, ca.key_pem)) {
        ca.cert_pem = read_text(cert_path);
        return ca;  // make_pki checks that the two belong together
    }
    ca = make_certificate_authority();
    // The certificate first: a start that dies in between leaves no key, and the next start
    // makes a new pair.
    write_certificate(cert_path, ca.cert_pem);
    write_private_key(key_path, ca.key_pem);
    return ca;
}

}  // namespace calbridge::sandbox
