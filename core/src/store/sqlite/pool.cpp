#include "store/sqlite/pool.hpp"

#include <calbridge/errors.hpp>

#include "store/private_directory.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite_store_hooks.hpp"

#include <cerrno>
#include <cstddef>
#include <functional>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace calbridge::detail {
std::function<void(sqlite3* connection)> sqlite_store_connection_opened;
}  // namespace calbridge::detail

namespace calbridge::detail::sqlite {

namespace {

namespace fs = std::filesystem;

// Idle connections kept per store; more are closed when given back.
constexpr std::size_t max_idle_connections = 16;

// Created 0600 here rather than by SQLite, which would apply the umask; the -wal and -shm
// files SQLite creates later copy the database file's mode. An existing file is used as it is.
void create_database_file(const fs::path& file, const std::string& label) {
    int fd = -1;
    do {
        fd = ::open(file.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == EEXIST) return;
        throw StoreError(label + ": cannot create the file: " + std::generic_category().message(errno));
    }
    const int chmod_result = ::fchmod(fd, 0600);  // the umask may have taken bits off
    const int error = errno;
    ::close(fd);
    if (chmod_result != 0) {
        throw StoreError(label + ": cannot set the file's mode: " + std::generic_category().message(error));
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Database

Database::Database(fs::path path, SqliteStoreOptions store_options)
    : file(std::move(path)), label("SQLite token store " + file.string()), options(store_options) {
    detail::ensure_private_directory(file.parent_path());
    create_database_file(file, label);
    pool.store(new Pool(::getpid()));
}

Database::~Database() {
    Pool* current = pool.load();
    if (current != nullptr && current->pid == ::getpid()) delete current;
}

Pool& Database::current_pool() {
    Pool* current = pool.load(std::memory_order_acquire);
    const pid_t self = ::getpid();
    if (current->pid == self) return *current;
    auto fresh = std::make_unique<Pool>(self);
    if (pool.compare_exchange_strong(current, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
    return *current;  // another thread of this child was first
}

std::unique_ptr<Connection> Database::open_connection() {
    auto connection = std::make_unique<Connection>(file, label, options.busy_timeout);
    migrate(*connection);
    if (detail::sqlite_store_connection_opened) detail::sqlite_store_connection_opened(connection->handle());
    return connection;
}

// ---------------------------------------------------------------------------------------------
// Borrowed

Borrowed::Borrowed(Database& database) : pool_(database.current_pool()) {
    {
        const std::lock_guard lock(pool_.mutex);
        if (!pool_.idle.empty()) {
            connection_ = std::move(pool_.idle.back());
            pool_.idle.pop_back();
        }
    }
    if (!connection_) connection_ = database.open_connection();
}

Borrowed::~Borrowed() {
    if (connection_->in_transaction() || connection_->pid() != ::getpid()) return;
    const std::lock_guard lock(pool_.mutex);
    if (pool_.idle.size() < max_idle_connections) pool_.idle.push_back(std::move(connection_));
}

}  // namespace calbridge::detail::sqlite
