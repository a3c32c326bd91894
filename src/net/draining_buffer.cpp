// The system calls behind draining_buffer: TCP_INQ on, and a receive that reads its count.
#include "net/draining_buffer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace aic::net_tls {

bool report_queued_bytes(int fd) noexcept {
    int const on = 1;
    return ::setsockopt(fd, IPPROTO_TCP, TCP_INQ, &on, sizeof on) == 0;
}

bool receive_draining(int fd, void* data, std::size_t size, int flags, error_code& ec, std::size_t& bytes,
                      bool& drained) noexcept {
    iovec iov{data, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = 0;
    do {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        n = ::recvmsg(fd, &msg, flags);
    } while (n < 0 && errno == EINTR);
    drained = false;
    bytes = 0;
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        ec = error_code(errno, boost::system::system_category());
        return true;
    }
    if (n == 0 && size > 0) {
        ec = net::error::eof;
        return true;
    }
    ec = {};
    bytes = static_cast<std::size_t>(n);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ) {
            int queued = 0;
            std::memcpy(&queued, CMSG_DATA(c), sizeof queued);
            drained = queued == 0;
        }
    }
    return true;
}

}  // namespace aic::net_tls
