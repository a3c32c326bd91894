// A TLS client connection in which OpenSSL reads and writes the socket itself (SSL_set_fd), the way
// nginx drives it; the stream only waits for readiness when OpenSSL asks. Compared with
// asio::ssl::stream over beast::basic_stream this saves, on every read and write, the copy through
// a BIO pair, three layers of composed operations, and a timer wait started and cancelled: the
// deadline here is one lazily re-armed timer per connection.
#pragma once

#include "core/net.hpp"
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
    step run(kind k, void* data, std::size_t size);
    std::size_t read_pending(char* data, std::size_t room);

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
            stream.socket_.async_wait(result.wait, std::move(self));
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

    tcp::socket socket_;
    SSL* ssl_ = nullptr;
    bool attached_ = false;
    bool closed_ = false;
    std::vector<char> staging_;
    lazy_deadline deadline_;  // after socket_, which it cancels
};

}  // namespace aic::net_tls
