// A TLS client connection driven straight through OpenSSL. OpenSSL writes the socket itself (a
// socket BIO, the way nginx drives it) and reads from the stream's input buffer (a BIO over it),
// which the stream fills with Asio's own receive, into a draining_buffer: after a receive that
// emptied the socket, the next one waits for epoll's edge with no system call, where Asio would
// first try it and fail. Waiting instead for the socket to become readable (`async_wait`) re-arms
// epoll every time, an `epoll_ctl` for about every fourth response here. A write the socket has
// room for completes at once (write_now), with no operation queued.
// Large bodies come in receives of 64 KiB rather than OpenSSL's 17 KiB reads. Compared with
// asio::ssl::stream over beast::basic_stream this saves the BIO pair's second copy and write-side
// queue, three layers of composed operations, and a timer wait started and cancelled around
// every operation: the deadline here is one lazily re-armed timer per connection.
#pragma once

#include "core/net.hpp"
#include "net/draining_buffer.hpp"
#include "net/lazy_deadline.hpp"

#include <openssl/ssl.h>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

namespace aic::net_tls {

class tls_stream {
public:
    using executor_type = net::any_io_executor;
    using clock = lazy_deadline::clock;

    tls_stream(executor_type ex, ssl::context& ctx);
    ~tls_stream();
    tls_stream(tls_stream const&) = delete;
    tls_stream& operator=(tls_stream const&) = delete;

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    tcp::socket& socket() noexcept { return socket_; }
    SSL* native_handle() noexcept { return ssl_; }

    // One deadline for the operations that follow, as beast::basic_stream has it: an operation
    // still pending when it passes (or started after it passed) fails with beast::error::timeout.
    void expires_after(clock::duration d) { deadline_.expires_after(d); }
    void expires_never() { deadline_.expires_never(); }
    // What an operation on socket() itself (connect) should report: timeout when the deadline
    // cancelled it, `ec` otherwise.
    error_code deadline_error(error_code ec) const { return deadline_.error_for(ec); }

    // Closes the socket: pending operations fail, later ones fail at once.
    void close();

    // Whether the peer sent anything not yet read through TLS (bytes the stream received and
    // holds, or that OpenSSL holds), or its close (close_notify or FIN) was already seen. An idle
    // connection for which this is true was closed or spoken on by the peer: it is not reusable,
    // and a peek at the socket no longer tells, the bytes having left it.
    bool has_unread_input() const noexcept;

    template <class Token>
    auto async_handshake(Token&& token) {
        return net::async_compose<Token, void(error_code)>(op<kind::handshake>(*this), token, socket_);
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(MutableBuffers const& buffers, Token&& token) {
        net::mutable_buffer first;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
            if (net::mutable_buffer b{*it}; b.size() > 0) {
                first = b;
                break;
            }
        }
        return net::async_compose<Token, void(error_code, std::size_t)>(
            op<kind::read>(*this, first.data(), first.size()), token, socket_);
    }

    // Small gathered writes (a head and a body piece) are copied into one TLS record.
    template <class ConstBuffers, class Token>
    auto async_write_some(ConstBuffers const& buffers, Token&& token) {
        auto const [data, size] = stage(buffers);
        return net::async_compose<Token, void(error_code, std::size_t)>(
            op<kind::write>(*this, const_cast<void*>(data), size), token, socket_);
    }

    // Writes what the socket takes now, without waiting, as timed_socket::write_now does: returns
    // the bytes written, 0 with `ec` clear when OpenSSL must wait for the socket. Then an
    // asynchronous write of the same buffers goes on where this one stopped, as OpenSSL requires
    // of a retried write.
    template <class ConstBuffers>
    std::size_t write_now(ConstBuffers const& buffers, error_code& ec) {
        auto const [data, size] = stage(buffers);
        step const r = run(kind::write, const_cast<void*>(data), size);
        if (!r.done) return 0;
        ec = r.ec;
        return r.bytes;
    }

    // Sends close_notify; does not wait for the peer's.
    template <class Token>
    auto async_shutdown(Token&& token) {
        return net::async_compose<Token, void(error_code)>(op<kind::shutdown>(*this), token, socket_);
    }

private:
    enum class kind { handshake, read, write, shutdown };

    // The outcome of one call into OpenSSL: finished (with an error or a byte count), or waiting
    // for the socket to become readable or writable.
    struct step {
        bool done = false;
        error_code ec;
        std::size_t bytes = 0;
        tcp::socket::wait_type wait = tcp::socket::wait_read;

        static step finished(error_code ec, std::size_t bytes = 0) { return step{true, ec, bytes, {}}; }
        static step waiting(tcp::socket::wait_type w) { return step{false, {}, 0, w}; }
    };
    // One step of an operation. A read that can only wait for input is answered so without
    // calling OpenSSL.
    step run(kind k, void* data, std::size_t size);
    // Whether a read can only wait for input: the handshake is done, and the stream holds nothing
    // to read and has seen no close. A relayed request's read of its response starts so (the
    // request just went out), and calling OpenSSL then would cost a failed SSL_read_ex and the
    // error-queue checks around it for an answer known beforehand.
    bool read_needs_input() const noexcept;
    std::size_t read_pending(char* data, std::size_t room);
    bool attach();

    // The input buffer OpenSSL reads from (its BIO's read callback is input_bio::read).
    friend struct input_bio;
    net::mutable_buffer input_space();  // empties the buffer and returns all of it to fill
    void input_received(error_code ec, std::size_t n);

    template <class ConstBuffers>
    std::pair<void const*, std::size_t> stage(ConstBuffers const& buffers) {
        std::size_t total = 0;
        std::size_t pieces = 0;
        net::const_buffer first;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
            net::const_buffer const b{*it};
            if (b.size() == 0) continue;
            if (pieces++ == 0) first = b;
            total += b.size();
        }
        if (pieces <= 1 || total > max_staged) return {first.data(), first.size()};
        staging_.resize(total);
        net::buffer_copy(net::buffer(staging_), buffers);
        return {staging_.data(), total};
    }

    template <kind K>
    struct op {
        explicit op(tls_stream& s, void* d = nullptr, std::size_t n = 0) : stream(s), data(d), size(n) {}

        tls_stream& stream;
        void* data;
        std::size_t size;
        bool started = false;
        step result;

        // The input buffer filled (or the peer closed: eof, which OpenSSL then reports as a
        // close_notify seen or a truncation).
        template <class Self>
        void operator()(Self& self, error_code ec, std::size_t n) {
            stream.filling_ = false;
            stream.input_received(ec, n);
            (*this)(self, ec == net::error::eof ? error_code{} : ec);
        }

        template <class Self>
        void operator()(Self& self, error_code ec = {}) {
            if (result.done) return finish(self);  // the posted completion of an immediate result
            if (started && ec) {
                result = step::finished(stream.deadline_error(ec));
                return finish(self);
            }
            if (!started && stream.deadline_.expired())
                result = step::finished(beast::error::timeout);
            else
                result = stream.run(K, data, size);
            if (result.done && started) return finish(self);
            if (result.done) {  // never complete from inside the initiating call
                started = true;
                auto ex = stream.get_executor();
                return net::post(ex, std::move(self));
            }
            started = true;
            if (result.wait == tcp::socket::wait_write)
                return stream.socket_.async_wait(result.wait, std::move(self));
            // Only one receive at a time fills the buffer. Another operation that needs input
            // meanwhile (a write meeting a renegotiation) waits for readiness and tries again,
            // by when that receive has handed OpenSSL what came.
            if (stream.filling_) return stream.socket_.async_wait(result.wait, std::move(self));
            stream.filling_ = true;
            stream.socket_.async_read_some(draining_buffer{stream.input_space()}, std::move(self));
        }

        template <class Self>
        void finish(Self& self) {
            if constexpr (K == kind::read || K == kind::write)
                self.complete(result.ec, result.bytes);
            else
                self.complete(result.ec);
        }
    };

    static constexpr std::size_t max_staged = 16 * 1024;  // one TLS record's plaintext
    // Most responses here are a few hundred bytes; a receive that fills the small buffer means a
    // large body, which then moves in fewer, larger receives.
    static constexpr std::size_t small_input = 4 * 1024;
    static constexpr std::size_t bulk_input = 64 * 1024;

    std::unique_ptr<char[]> input_;  // before socket_: a receive in flight writes here
    std::size_t input_capacity_ = 0;
    std::size_t input_begin_ = 0;
    std::size_t input_end_ = 0;
    bool input_eof_ = false;
    bool filling_ = false;
    tcp::socket socket_;
    SSL* ssl_ = nullptr;
    bool attached_ = false;
    bool closed_ = false;
    std::vector<char> staging_;
    lazy_deadline deadline_;  // after socket_, which it cancels
};

}  // namespace aic::net_tls
