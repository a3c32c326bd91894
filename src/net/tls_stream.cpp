// How tls_stream drives OpenSSL and maps its errors (the asynchronous operations are in the header).
#include "net/tls_stream.hpp"

#include <openssl/err.h>

#include <cerrno>
#include <new>

namespace aic::net_tls {

tls_stream::tls_stream(executor_type ex, ssl::context& ctx)
    : socket_(ex), ssl_(SSL_new(ctx.native_handle())), deadline_(ex, socket_) {
    if (!ssl_) throw std::bad_alloc();
    // No SSL_MODE_RELEASE_BUFFERS: a kept-alive connection is worth its record buffers, which would
    // otherwise be freed and reallocated around every read and write.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Without read-ahead OpenSSL reads each record in two system calls (its 5-byte header, then
    // the rest); with it, one read takes whatever the socket holds.
    SSL_set_read_ahead(ssl_, 1);
    SSL_set_connect_state(ssl_);
}

tls_stream::~tls_stream() {
    SSL_free(ssl_);
}

void tls_stream::close() {
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
}

// Read-ahead leaves what followed the record just returned (more records, or the start of one)
// in OpenSSL's buffer. Taking it now, and the rest of a started record if the socket has it, fills
// the caller's buffer: a large body goes on in a few large pieces rather than one per 16 KiB
// record. Stops at the first call that would wait or fail; that call's outcome repeats on the
// next read, so nothing is lost by ending the piece here.
std::size_t tls_stream::read_pending(char* data, std::size_t room) {
    std::size_t total = 0;
    while (room > 0 && SSL_has_pending(ssl_) == 1) {
        std::size_t n = 0;
        if (SSL_read_ex(ssl_, data + total, room, &n) != 1) break;
        total += n;
        room -= n;
    }
    return total;
}

tls_stream::step tls_stream::run(kind k, void* data, std::size_t size) {
    if (closed_ || !socket_.is_open()) return step::finished(net::error::bad_descriptor);
    if (!attached_) {
        // OpenSSL does the socket I/O itself; the socket must not block it.
        error_code ec;
        socket_.non_blocking(true, ec);
        if (ec) return step::finished(ec);
        if (SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle())) != 1)
            return step::finished(net::error::bad_descriptor);
        attached_ = true;
    }
    // SSL_get_error needs an empty error queue before the call. It is almost always empty, and
    // peeking costs a quarter of clearing all of its slots, two or three times per request.
    if (ERR_peek_error() != 0) ERR_clear_error();
    errno = 0;
    std::size_t bytes = 0;
    int r = 0;
    switch (k) {
        case kind::handshake: r = SSL_do_handshake(ssl_); break;
        case kind::read: r = size == 0 ? 1 : SSL_read_ex(ssl_, data, size, &bytes); break;
        case kind::write: r = size == 0 ? 1 : SSL_write_ex(ssl_, data, size, &bytes); break;
        case kind::shutdown:
            r = SSL_shutdown(ssl_);
            if (r == 0) r = 1;  // close_notify sent; the peer's answer is not awaited
            break;
    }
    if (r == 1) {
        if (k == kind::read) bytes += read_pending(static_cast<char*>(data) + bytes, size - bytes);
        return step::finished({}, bytes);
    }
    int const error = SSL_get_error(ssl_, r);
    switch (error) {
        case SSL_ERROR_WANT_READ: return step::waiting(tcp::socket::wait_read);
        case SSL_ERROR_WANT_WRITE: return step::waiting(tcp::socket::wait_write);
        case SSL_ERROR_ZERO_RETURN: return step::finished(net::error::eof);
        case SSL_ERROR_SYSCALL: {
            int const sys = errno;
            if (unsigned long const e = ERR_get_error(); e != 0)
                return step::finished(error_code(static_cast<int>(e), net::error::get_ssl_category()));
            // The peer closed without close_notify (OpenSSL 1.1 style) or the socket failed.
            if (sys == 0) return step::finished(ssl::error::stream_truncated);
            return step::finished(error_code(sys, boost::system::system_category()));
        }
        default: {
            unsigned long const e = ERR_get_error();
            if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                return step::finished(ssl::error::stream_truncated);
            if (e == 0) return step::finished(ssl::error::stream_truncated);
            return step::finished(error_code(static_cast<int>(e), net::error::get_ssl_category()));
        }
    }
}

}  // namespace aic::net_tls
