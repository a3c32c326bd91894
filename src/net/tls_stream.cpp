// How tls_stream drives OpenSSL and maps its errors (the asynchronous operations are in the header).
#include "net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace aic::net_tls {

// OpenSSL's read side: a BIO that hands out what the stream received. Empty, it asks OpenSSL to
// retry (SSL_ERROR_WANT_READ, and the stream receives more); after the peer's FIN it reports
// end of file.
struct input_bio {
    static BIO_METHOD const* method() {
        static BIO_METHOD* const m = [] {
            BIO_METHOD* made =
                BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "aic tls_stream input");
            if (!made) throw std::bad_alloc();
            BIO_meth_set_read_ex(made, &read);
            BIO_meth_set_ctrl(made, &ctrl);
            BIO_meth_set_create(made, [](BIO* b) {
                BIO_set_init(b, 1);
                return 1;
            });
            return made;
        }();
        return m;
    }

    static int read(BIO* b, char* out, std::size_t room, std::size_t* n) {
        auto& s = *static_cast<tls_stream*>(BIO_get_data(b));
        BIO_clear_retry_flags(b);
        std::size_t const available = s.input_end_ - s.input_begin_;
        if (available == 0) {
            if (!s.input_eof_) BIO_set_retry_read(b);
            *n = 0;
            return 0;
        }
        *n = std::min(room, available);
        std::memcpy(out, s.input_.get() + s.input_begin_, *n);
        s.input_begin_ += *n;
        return 1;
    }

    static long ctrl(BIO* b, int cmd, long, void*) {
        auto const& s = *static_cast<tls_stream const*>(BIO_get_data(b));
        switch (cmd) {
            case BIO_CTRL_PENDING: return static_cast<long>(s.input_end_ - s.input_begin_);
            case BIO_CTRL_EOF: return s.input_eof_ && s.input_begin_ == s.input_end_;
            case BIO_CTRL_FLUSH: return 1;
            default: return 0;
        }
    }
};

tls_stream::tls_stream(executor_type ex, ssl::context& ctx)
    : socket_(ex), ssl_(SSL_new(ctx.native_handle())), deadline_(ex, socket_) {
    if (!ssl_) throw std::bad_alloc();
    // No SSL_MODE_RELEASE_BUFFERS: a kept-alive connection is worth its record buffers, which would
    // otherwise be freed and reallocated around every read and write.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Without read-ahead OpenSSL takes each record from its BIO in two calls (its 5-byte header,
    // then the rest); with it, one call takes whatever the input buffer holds.
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

bool tls_stream::has_unread_input() const noexcept {
    return input_begin_ != input_end_ || input_eof_ || SSL_has_pending(ssl_) == 1 ||
           (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0;
}

bool tls_stream::read_needs_input() const noexcept {
    return SSL_is_init_finished(ssl_) == 1 && !has_unread_input();
}

net::mutable_buffer tls_stream::input_space() {
    if (!input_ || (input_end_ == input_capacity_ && input_capacity_ < bulk_input)) {
        input_capacity_ = input_ ? bulk_input : small_input;
        input_ = std::make_unique_for_overwrite<char[]>(input_capacity_);
    }
    input_begin_ = input_end_ = 0;
    return net::buffer(input_.get(), input_capacity_);
}

void tls_stream::input_received(error_code ec, std::size_t n) {
    input_end_ = n;
    if (ec == net::error::eof) input_eof_ = true;
}

// Both BIOs once per connection: the socket for OpenSSL's writes, the input buffer for its reads.
bool tls_stream::attach() {
    // OpenSSL writes the socket itself; the socket must not block it.
    error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) return false;
    report_queued_bytes(socket_.native_handle());  // receives tell when they emptied the socket
    BIO* const out = BIO_new_socket(static_cast<int>(socket_.native_handle()), BIO_NOCLOSE);
    BIO* const in = BIO_new(input_bio::method());
    if (!out || !in) {
        BIO_free(out);
        BIO_free(in);
        return false;
    }
    BIO_set_data(in, this);
    SSL_set_bio(ssl_, in, out);
    attached_ = true;
    return true;
}

// Read-ahead leaves what followed the record just returned (more records, or the start of one)
// in OpenSSL's buffer, and the input buffer may hold more. Taking it now fills the caller's
// buffer: a large body goes on in a few large pieces rather than one per 16 KiB record. Stops at
// the first call that would wait or fail; that call's outcome repeats on the next read, so nothing
// is lost by ending the piece here.
std::size_t tls_stream::read_pending(char* data, std::size_t room) {
    std::size_t total = 0;
    while (room > 0 && (SSL_has_pending(ssl_) == 1 || input_begin_ != input_end_)) {
        std::size_t n = 0;
        if (SSL_read_ex(ssl_, data + total, room, &n) != 1) break;
        total += n;
        room -= n;
    }
    return total;
}

tls_stream::step tls_stream::run(kind k, void* data, std::size_t size) {
    if (closed_ || !socket_.is_open()) return step::finished(net::error::bad_descriptor);
    if (!attached_ && !attach()) return step::finished(net::error::bad_descriptor);
    if (k == kind::read && size > 0 && read_needs_input()) return step::waiting(tcp::socket::wait_read);
    // SSL_get_error needs an empty error queue before the call. It is almost always empty, and
    // peeking costs a quarter of clearing all of its slots, twice per request.
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
