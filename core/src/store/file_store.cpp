// The file token store: one JSON file per account (its form: store/file/entry.hpp), replaced
// whole by rename under a lock file of the account's (store/file/account_files.hpp names the
// files). Opening, locking and writing the files live in store/file/; here are the store's
// operations.
#include <calbridge/errors.hpp>
#include <calbridge/store.hpp>

#include "store/file/account_files.hpp"
#include "store/file/account_lock.hpp"
#include "store/file/entry.hpp"
#include "store/file/file_io.hpp"
#include "store/lease_rules.hpp"
#include "store/private_directory.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace calbridge {

namespace {

namespace fs = std::filesystem;

using detail::file_store::account_files;
using detail::file_store::AccountFiles;
using detail::file_store::AccountLock;
using detail::file_store::Entry;
using detail::file_store::file_exists;
using detail::file_store::read_entry;
using detail::file_store::StoredLease;
using detail::file_store::sync_directory;
using detail::file_store::throw_errno;
using detail::file_store::write_entry;

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
