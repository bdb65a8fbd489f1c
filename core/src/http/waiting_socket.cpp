// The readiness wait of WaitingSocket: one ppoll(2) on the socket and the wake-up eventfd, in
// slices that end when the call's poll hook is due.
#include "http/waiting_socket.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>

namespace calbridge::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

WaitingSocket::WaitingSocket(WaitingSocket&& other) noexcept
    : socket_(std::move(other.socket_)),
      call_(std::exchange(other.call_, nullptr)),
      wake_fd_(std::exchange(other.wake_fd_, -1)),
      timed_out_(other.timed_out_),
      cancelled_(other.cancelled_),
      bytes_written_(other.bytes_written_),
      wait_before_read_(other.wait_before_read_) {}

WaitingSocket::~WaitingSocket() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

void WaitingSocket::close() noexcept {
    error_code ignored;
    socket_.close(ignored);
}

bool WaitingSocket::wait(wait_type what, error_code& ec) {
    if (call_ == nullptr) {
        ec = asio::error::would_block;  // outside an exchange: nothing to wait to
        return false;
    }
    CallInterrupt& call = *call_;
    if (wake_fd_ < 0) {
        wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake_fd_ < 0) {
            ec = error_code(errno, boost::system::system_category());
            close();
            return false;
        }
    }
    // A cancellation writes to the eventfd; one that came before is seen by cancelled() below.
    auto wake = call.wake_with([fd = wake_fd_] { (void)::eventfd_write(fd, 1); });
    const SteadyTime deadline = call.deadline();
    for (;;) {
        const bool cancelled = call.cancelled();
        const SteadyTime now = std::chrono::steady_clock::now();
        if (cancelled || now >= deadline) {
            (cancelled ? cancelled_ : timed_out_) = true;
            ec = cancelled ? asio::error::operation_aborted : asio::error::timed_out;
            close();  // the connection is finished: never pooled
            return false;
        }
        // In slices that end when the call's poll hook is due (CancellationToken::poll_while_waiting).
        const SteadyTime slice = call.poll_due(deadline);
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::min<SteadyTime::duration>(std::max(slice, now) - now, std::chrono::hours(24)));
        timespec timeout{};
        timeout.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
        timeout.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
        pollfd fds[2]{};
        fds[0].fd = socket_.native_handle();
        fds[0].events = what == tcp::socket::wait_write ? POLLOUT : POLLIN;
        fds[1].fd = wake_fd_;
        fds[1].events = POLLIN;
        const int n = ::ppoll(fds, 2, &timeout, nullptr);
        if (n < 0 && errno != EINTR) {
            ec = error_code(errno, boost::system::system_category());
            close();
            return false;
        }
        if (n > 0 && fds[1].revents != 0) {
            // Emptied, then cancelled() says whether it was this call's cancellation (or one that
            // came too late for the previous call on this socket).
            eventfd_t count = 0;
            (void)::eventfd_read(wake_fd_, &count);
            continue;
        }
        // Ready, or in error or hung up: the read or write that follows says which.
        if (n > 0 && fds[0].revents != 0) return true;
        if (n == 0 && slice < deadline) call.poll();
    }
}

}  // namespace calbridge::http
