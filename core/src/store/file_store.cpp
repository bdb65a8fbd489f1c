// The file token store: one JSON file per account,
//   {"version": N, "credentials": {...}, "reauthorization_required": true,
//    "lease_epoch": E, "lease": {"owner": "...", "until": MS}}
// where the last three are written only when set (true, E > 0, a lease held), so a file
// without a lease or mark is byte for byte what earlier versions wrote, and their files load.
// "until" is milliseconds since the Unix epoch on this host's wall clock (lease_rules.hpp).
// An earlier calbridge reading a newer file ignores the lease and the mark; one that writes it
// drops them (the epoch restarts): do not mix versions on one shared directory.
//
// Files of an account, all in the store's directory (<stem> encodes the account, see below):
//   <stem>.json  the credentials; replaced only by rename, so a reader never sees a torn file
//   <stem>.lock  flock'ed around read-compare-write; never deleted, because deleting a lock
//                file lets a waiter lock the old inode while a newcomer locks a new one
//   <stem>.tmp   the next <stem>.json while it is written; exists between writes only if a
//                writer died, and the next writer (holding the lock) removes it
#include <calbridge/errors.hpp>
#include <calbridge/store.hpp>

#include "credentials/credentials_json.hpp"
#include "store/file_store_hooks.hpp"
#include "store/lease_rules.hpp"
#include "store/private_directory.hpp"
#include "util/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace calbridge {

namespace detail {
std::function<void(const std::filesystem::path& temp)> file_store_before_rename;
}  // namespace detail

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Credentials are a few kilobytes at most; anything much larger is not ours.
constexpr off_t max_file_size = 1 << 20;

[[noreturn]] void throw_errno(std::string_view what, const fs::path& path, int error) {
    throw StoreError(std::string(what) + " " + path.string() + ": " + std::generic_category().message(error));
}

[[noreturn]] void throw_corrupt(const fs::path& file, std::string_view why) {
    throw StoreError("credentials file " + file.string() + " is corrupt: " + std::string(why));
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }

    int get() const noexcept { return fd_; }

    // close() may report a write error that write() did not, so a writer checks it.
    int close() noexcept {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

private:
    int fd_;
};

FileDescriptor open_file(const fs::path& path, int flags, mode_t mode = 0) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return FileDescriptor(fd);
}

// An account's own file (data, lock): never through a symbolic link, never a FIFO or device
// that could block the open or feed us what another user wants. O_NONBLOCK keeps the open of a
// FIFO from waiting for a writer; a regular file ignores it. A fd of -1 with errno set when the
// open itself failed (ENOENT for a missing file); StoreError for a link or a non-regular file.
FileDescriptor open_account_file(const fs::path& path, int flags, mode_t mode = 0) {
    FileDescriptor fd = open_file(path, flags | O_NOFOLLOW | O_NONBLOCK, mode);
    if (fd.get() < 0) {
        if (errno == ELOOP) throw StoreError(path.string() + " is a symbolic link: the token store refuses it");
        return fd;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw StoreError(path.string() + " is not a regular file: the token store refuses it");
    return fd;
}

// Account key → file name stem. Every byte outside [a-z0-9_-] becomes %XX, so the stem never
// contains "/" or ".", cannot be "." or "..", and two keys never share a stem. Upper-case
// letters are escaped too because macOS and Windows file systems ignore case ("ACC" and "acc"
// would otherwise be one file).
std::string escape_account(std::string_view account) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string stem;
    stem.reserve(account.size());
    for (const char c : account) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            stem += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            stem += '%';
            stem += hex[byte >> 4];
            stem += hex[byte & 0xF];
        }
    }
    return stem;
}

// NAME_MAX is 255 bytes on Linux and macOS; keep room for the suffixes.
constexpr std::size_t max_stem_size = 200;

std::string account_stem(std::string_view account) {
    std::string stem = escape_account(account);
    if (stem.size() <= max_stem_size) return stem;
    // Too long for a file name: a readable prefix made unique by a hash of the whole key. The
    // escaping never produces '~', so these stems cannot meet a short one.
    const std::string digest = detail::base64url_encode(detail::sha256(account));
    stem.resize(max_stem_size - digest.size() - 1);
    return stem + '~' + digest;
}

struct AccountFiles {
    fs::path data;
    fs::path lock;
    fs::path temp;
};

AccountFiles account_files(const fs::path& directory, std::string_view account) {
    const std::string stem = account_stem(account);
    return {directory / (stem + ".json"), directory / (stem + ".lock"), directory / (stem + ".tmp")};
}

// Serialises read-compare-write on one account. flock covers other processes and other open
// files in this process; the process-wide mutex covers threads where flock is emulated with
// per-process fcntl locks (NFS on Linux), which would let two threads of one process in at
// once. Mutexes are striped by lock path, so two stores on one directory share them.
class AccountLock {
public:
    explicit AccountLock(const fs::path& lock_file)
        : in_process_(stripe_for(lock_file)), fd_(open_account_file(lock_file, O_RDWR | O_CREAT, 0600)) {
        if (fd_.get() < 0) throw_errno("cannot open lock file", lock_file, errno);
        int result = -1;
        do {
            result = ::flock(fd_.get(), LOCK_EX);
        } while (result != 0 && errno == EINTR);
        if (result != 0) throw_errno("cannot lock", lock_file, errno);
    }
    // Closing the descriptor releases the flock, before the mutex (members die in reverse).

private:
    static std::mutex& stripe_for(const fs::path& lock_file) {
        static std::array<std::mutex, 64> stripes;
        return stripes[std::hash<std::string>{}(lock_file.native()) % stripes.size()];
    }

    std::lock_guard<std::mutex> in_process_;
    FileDescriptor fd_;
};

std::string read_all(const FileDescriptor& fd, const fs::path& file) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", file, errno);
    if (!S_ISREG(st.st_mode)) throw_corrupt(file, "not a regular file");
    if (st.st_size > max_file_size) throw_corrupt(file, "too large");
    std::string text;
    std::array<char, 8192> buffer{};
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read", file, errno);
        if (n == 0) return text;
        text.append(buffer.data(), static_cast<std::size_t>(n));
        // The file may have grown since fstat; still, never read without bound.
        if (text.size() > static_cast<std::size_t>(max_file_size)) throw_corrupt(file, "too large");
    }
}

// A live or expired lease; released and cleared leases are not stored.
struct StoredLease {
    std::string owner;
    std::int64_t until_ms = 0;
};

// Everything an account's file holds.
struct Entry {
    VersionedCredentials current;  // version, credentials and the reauthorization mark
    std::uint64_t lease_epoch = 0;  // kept across save and replace, never reset
    std::optional<StoredLease> lease;
};

// The optional lease fields; absent in files written before the lease existed.
void parse_lease_fields(const json::object& object, Entry& entry, const fs::path& file) {
    if (const auto* mark = object.if_contains("reauthorization_required")) {
        if (!mark->is_bool()) throw_corrupt(file, "\"reauthorization_required\" is not a boolean");
        entry.current.reauthorization_required = mark->get_bool();
    }
    if (const auto* epoch = object.if_contains("lease_epoch")) {
        json::error_code ec;
        entry.lease_epoch = epoch->is_number() ? epoch->to_number<std::uint64_t>(ec) : 0;
        if (!epoch->is_number() || ec) throw_corrupt(file, "\"lease_epoch\" is not a non-negative integer");
    }
    if (const auto* lease = object.if_contains("lease")) {
        const auto* fields = lease->if_object();
        const auto* owner = fields != nullptr ? fields->if_contains("owner") : nullptr;
        const auto* until = fields != nullptr ? fields->if_contains("until") : nullptr;
        json::error_code ec;
        StoredLease parsed;
        if (owner != nullptr && owner->is_string()) parsed.owner = std::string(owner->get_string());
        if (until != nullptr && until->is_number()) parsed.until_ms = until->to_number<std::int64_t>(ec);
        if (owner == nullptr || !owner->is_string() || until == nullptr || !until->is_number() || ec) {
            throw_corrupt(file, "\"lease\" is not {\"owner\": string, \"until\": integer}");
        }
        entry.lease = std::move(parsed);
    }
}

Entry parse_entry(std::string_view text, const fs::path& file) {
    json::error_code ec;
    const json::value document = json::parse(text, ec, {}, detail::stored_json_parse_options());
    if (ec) throw_corrupt(file, "not valid JSON");
    const auto* object = document.if_object();
    if (object == nullptr) throw_corrupt(file, "not a JSON object");
    const auto* version = object->if_contains("version");
    const auto* credentials = object->if_contains("credentials");
    if (version == nullptr || !version->is_number()) throw_corrupt(file, "\"version\" is missing");
    Entry entry;
    entry.current.version = version->to_number<std::uint64_t>(ec);
    if (ec || entry.current.version == 0) throw_corrupt(file, "\"version\" is not a positive integer");
    if (credentials == nullptr) throw_corrupt(file, "\"credentials\" is missing");
    try {
        entry.current.credentials = detail::credentials_from_json_value(*credentials);
    } catch (const ProtocolError& e) {
        // Its message names a field, never a value, so it is safe to pass on.
        throw_corrupt(file, e.what());
    }
    parse_lease_fields(*object, entry, file);
    return entry;
}

// std::nullopt when the account has no file.
std::optional<Entry> read_entry(const fs::path& file) {
    const FileDescriptor fd = open_account_file(file, O_RDONLY);
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("cannot open", file, errno);
    }
    return parse_entry(read_all(fd, file), file);
}

bool file_exists(const fs::path& file) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    throw_errno("cannot stat", file, errno);
}

void write_all(const FileDescriptor& fd, std::string_view bytes, const fs::path& file) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot write", file, errno);
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

// A rename or unlink is durable only once the directory itself is synced.
void sync_directory(const fs::path& directory) {
    const FileDescriptor fd = open_file(directory, O_RDONLY | O_DIRECTORY);
    if (fd.get() < 0) throw_errno("cannot open directory", directory, errno);
    if (::fsync(fd.get()) != 0) throw_errno("cannot sync directory", directory, errno);
}

// Called with the account lock held, so nobody else is writing `temp`: one that exists was
// left by a writer that died before its rename, and is removed.
FileDescriptor create_temp(const fs::path& temp) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        FileDescriptor fd = open_file(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (fd.get() >= 0) return fd;
        if (errno != EEXIST || attempt > 0) break;
        if (::unlink(temp.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove stale", temp, errno);
    }
    throw_errno("cannot create", temp, errno);
}

// Removes the temporary file unless the rename consumed it.
class TempFileGuard {
public:
    explicit TempFileGuard(const fs::path& temp) noexcept : temp_(temp) {}
    TempFileGuard(const TempFileGuard&) = delete;
    TempFileGuard& operator=(const TempFileGuard&) = delete;
    ~TempFileGuard() {
        if (armed_) ::unlink(temp_.c_str());
    }
    void release() noexcept { armed_ = false; }

private:
    const fs::path& temp_;
    bool armed_ = true;
};

// Write the new file beside the old one, make it durable, then rename it into place: a crash
// at any point leaves either the old or the new file whole.
void write_atomically(const fs::path& directory, const AccountFiles& files, std::string_view bytes) {
    FileDescriptor fd = create_temp(files.temp);
    TempFileGuard guard(files.temp);
    write_all(fd, bytes, files.temp);
    if (::fsync(fd.get()) != 0) throw_errno("cannot sync", files.temp, errno);
    if (fd.close() != 0) throw_errno("cannot close", files.temp, errno);
    if (detail::file_store_before_rename) detail::file_store_before_rename(files.temp);
    if (::rename(files.temp.c_str(), files.data.c_str()) != 0) {
        throw_errno("cannot rename onto", files.data, errno);
    }
    guard.release();
    sync_directory(directory);
}

void write_entry(const fs::path& directory, const AccountFiles& files, const Entry& entry) {
    json::object document;
    document["version"] = entry.current.version;
    document["credentials"] = detail::credentials_to_json_object(entry.current.credentials);
    if (entry.current.reauthorization_required) document["reauthorization_required"] = true;
    if (entry.lease_epoch > 0) document["lease_epoch"] = entry.lease_epoch;
    if (entry.lease) document["lease"] = {{"owner", entry.lease->owner}, {"until", entry.lease->until_ms}};
    write_atomically(directory, files, json::serialize(document));
}

// The entry a save or replace writes: new credentials and version, no lease and no mark, and
// the epoch of the entry it replaces (a stale holder's renew must keep failing).
Entry written_entry(const std::optional<Entry>& previous, std::uint64_t version, const Credentials& credentials) {
    Entry entry;
    entry.current.credentials = credentials;
    entry.current.version = version;
    if (previous) entry.lease_epoch = previous->lease_epoch;
    return entry;
}

fs::path absolute_path(const fs::path& directory) {
    if (directory.empty()) throw StoreError("the token store directory is empty");
    std::error_code ec;
    fs::path absolute = fs::absolute(directory, ec);
    if (ec) throw StoreError("cannot resolve " + directory.string() + ": " + ec.message());
    return absolute;
}

}  // namespace

// Absolute, so that a later chdir() does not move the store.
FileTokenStore::FileTokenStore(std::filesystem::path directory) : directory_(absolute_path(directory)) {
    detail::ensure_private_directory(directory_);
    detail::require_private_directory(directory_);
}

std::filesystem::path FileTokenStore::path_for(std::string_view account) const {
    return account_files(directory_, account).data;
}

std::optional<VersionedCredentials> FileTokenStore::load(std::string_view account) {
    auto entry = read_entry(path_for(account));
    if (!entry) return std::nullopt;
    return std::move(entry->current);
}

std::optional<std::uint64_t> FileTokenStore::insert(std::string_view account, const Credentials& credentials) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    if (file_exists(files.data)) return std::nullopt;
    write_entry(directory_, files, written_entry(std::nullopt, 1, credentials));
    return 1;
}

std::optional<std::uint64_t> FileTokenStore::save(std::string_view account, const Credentials& credentials,
                                                  std::uint64_t expected_version) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    const auto current = read_entry(files.data);
    if (!current || current->current.version != expected_version) return std::nullopt;
    write_entry(directory_, files, written_entry(current, expected_version + 1, credentials));
    return expected_version + 1;
}

// A corrupt file makes replace() fail too, rather than restart the version at 1 under a
// session that may still hold version 1; remove() clears it.
std::uint64_t FileTokenStore::replace(std::string_view account, const Credentials& credentials) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    const auto current = read_entry(files.data);
    const std::uint64_t version = current ? current->current.version + 1 : 1;
    write_entry(directory_, files, written_entry(current, version, credentials));
    return version;
}

// Only unlinks, never reads: it works on a corrupt file too.
bool FileTokenStore::remove(std::string_view account) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    if (::unlink(files.data.c_str()) != 0) {
        if (errno == ENOENT) return false;
        throw_errno("cannot remove", files.data, errno);
    }
    sync_directory(directory_);
    return true;
}

// Every lease operation is one read-compare-write under the account's lock, like save().

LeaseClaim FileTokenStore::claim(std::string_view account, std::uint64_t expected_version, std::string_view owner,
                                 std::chrono::milliseconds ttl) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    auto entry = read_entry(files.data);
    LeaseClaim result;
    if (!entry) return result;  // missing
    const std::int64_t now = detail::lease_clock_now_ms();
    const detail::LeaseRow row{entry->current.version, entry->current.reauthorization_required,
                               entry->lease.has_value(), entry->lease ? entry->lease->until_ms : 0};
    result.status = detail::claim_status(row, expected_version, now, result.remaining);
    if (result.status == LeaseClaim::Status::granted) {
        entry->lease = StoredLease{std::string(owner), detail::lease_expiry_ms(now, ttl)};
        ++entry->lease_epoch;
        write_entry(directory_, files, *entry);
        result.epoch = entry->lease_epoch;
    }
    result.stored = std::move(entry->current);
    return result;
}

bool FileTokenStore::renew(std::string_view account, std::uint64_t epoch, std::chrono::milliseconds ttl) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    auto entry = read_entry(files.data);
    if (!entry || !entry->lease || entry->lease_epoch != epoch) return false;
    entry->lease->until_ms = detail::lease_expiry_ms(detail::lease_clock_now_ms(), ttl);
    write_entry(directory_, files, *entry);
    return true;
}

void FileTokenStore::release(std::string_view account, std::uint64_t epoch) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    auto entry = read_entry(files.data);
    if (!entry || !entry->lease || entry->lease_epoch != epoch) return;
    entry->lease.reset();
    write_entry(directory_, files, *entry);
}

bool FileTokenStore::mark_reauthorization_required(std::string_view account, std::uint64_t expected_version) {
    const AccountFiles files = account_files(directory_, account);
    const AccountLock lock(files.lock);
    auto entry = read_entry(files.data);
    if (!entry || entry->current.version != expected_version) return false;
    entry->current.reauthorization_required = true;
    entry->lease.reset();
    write_entry(directory_, files, *entry);
    return true;
}

}  // namespace calbridge


namespace calbridge {

// Every write of an account's file (credentials, lease, mark) renames a new file over it, so
// its inode changes: a stat() every 2 ms tells a waiter of the holder's commit within
// milliseconds instead of a poll interval.
bool FileTokenStore::wait_for_change(std::string_view account, std::uint64_t version, std::chrono::milliseconds timeout) {
    (void)version;
    constexpr auto step = std::chrono::milliseconds(2);
    const fs::path file = path_for(account);
    const auto identity = [&] {
        struct ::stat st {};
        if (::stat(file.c_str(), &st) != 0) return std::array<long long, 3>{-1, 0, 0};
        return std::array<long long, 3>{static_cast<long long>(st.st_ino), static_cast<long long>(st.st_mtim.tv_sec),
                                         static_cast<long long>(st.st_mtim.tv_nsec)};
    };
    const auto seen = identity();
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (auto now = std::chrono::steady_clock::now(); now < end; now = std::chrono::steady_clock::now()) {
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(step, end - now));
        if (identity() != seen) return true;
    }
    return true;
}

std::vector<std::string> FileTokenStore::accounts() const {
    std::error_code ec;
    fs::directory_iterator it(directory_, ec);
    if (ec == std::errc::no_such_file_or_directory) return {};
    if (ec) throw StoreError("cannot list the credentials directory " + directory_.string() + ": " + ec.message());
    std::vector<fs::path> files;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() > 5 && name.front() != '.' && name.compare(name.size() - 5, 5, ".json") == 0) {
            files.push_back(it->path());
        }
    }
    if (ec) throw StoreError("cannot list the credentials directory " + directory_.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());

    std::vector<std::string> found;
    for (const auto& file : files) {
        try {
            if (const auto entry = read_entry(file)) {
                std::string account = entry->current.credentials.account_key();
                if (!account.empty()) found.push_back(std::move(account));
            }
        } catch (const StoreError&) {
            // Unreadable or not credentials: not an account of this store.
        }
    }
    return found;
}

}  // namespace calbridge
