// A plain stream socket (TCP or unix) with one deadline for its reads and writes: what the proxy's
// client side needs from beast::basic_stream, without its cost. basic_stream starts and cancels a
// timer wait around every read and write, and its operations carry a shared_ptr and two work
// guards; here an operation is the socket's own, with a handler that turns a cancellation by the
// deadline into beast::error::timeout.
#pragma once

#include "core/net.hpp"
#include "net/draining_buffer.hpp"
#include "net/lazy_deadline.hpp"

#include <boost/asio/associator.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace aic::net_tls {

class timed_socket {
public:
    using socket_type = net::generic::stream_protocol::socket;
    using executor_type = socket_type::executor_type;
    using clock = lazy_deadline::clock;

    explicit timed_socket(socket_type&& socket)
        : socket_(std::move(socket)), deadline_(socket_.get_executor(), socket_) {
        // write_now must find the socket full rather than wait on it. Asio's own operations run
        // the socket non-blocking anyway, so this costs the ioctl they would have made.
        error_code ignored;
        socket_.non_blocking(true, ignored);
        // Lets a receive tell that it emptied the socket (draining_buffer); unix sockets refuse it.
        report_queued_bytes(socket_.native_handle());
    }
    timed_socket(timed_socket const&) = delete;
    timed_socket& operator=(timed_socket const&) = delete;

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    socket_type& socket() noexcept { return socket_; }

    // One deadline for the operations that follow, as beast::basic_stream has it: an operation
    // still pending when it passes (or started after it passed) fails with beast::error::timeout.
    void expires_after(clock::duration d) { deadline_.expires_after(d); }
    void expires_never() { deadline_.expires_never(); }

    // Closes the socket: pending operations fail, later ones fail at once.
    void close() {
        error_code ignored;
        socket_.close(ignored);
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(MutableBuffers const& buffers, Token&& token) {
        return net::async_initiate<Token, void(error_code, std::size_t)>(initiate_io<true>{this}, token,
                                                                         buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(ConstBuffers const& buffers, Token&& token) {
        return net::async_initiate<Token, void(error_code, std::size_t)>(initiate_io<false>{this}, token,
                                                                         buffers);
    }

    // Writes what the socket takes now, without waiting: no operation is started, and the caller
    // goes on without a trip through the event loop's queue. Returns the bytes written: 0, with
    // `ec` clear, when the socket's buffer is full and an asynchronous write must wait for room.
    // The deadline does not apply: nothing waits.
    template <class ConstBuffers>
    std::size_t write_now(ConstBuffers const& buffers, error_code& ec) {
        std::size_t const n = socket_.write_some(buffers, ec);
        if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
        return n;
    }

    // Completes the socket's own handler, reporting a cancellation by the deadline as timeout. The
    // stream outlives its operations (its owner awaits each one), so a plain pointer will do.
    template <class Handler>
    struct timed_handler {
        Handler handler;
        lazy_deadline const* deadline;

        void operator()(error_code ec, std::size_t n) { std::move(handler)(deadline->error_for(ec), n); }
    };

private:
    template <class Handler>
    bool fail_if_expired(Handler& handler) {
        if (!deadline_.expired()) return false;
        // Never complete from inside the initiating call.
        net::post(
            socket_.get_executor(),
            beast::bind_front_handler(std::move(handler), error_code{beast::error::timeout}, std::size_t{0}));
        return true;
    }

    // Starts the socket's own read or write, with a handler that reports the deadline.
    template <bool IsRead>
    struct initiate_io {
        timed_socket* self;
        template <class Handler, class Buffers>
        void operator()(Handler&& handler, Buffers const& buffers) const {
            if (self->fail_if_expired(handler)) return;
            timed_handler<std::decay_t<Handler>> timed{std::forward<Handler>(handler), &self->deadline_};
            // One buffer (what the proxy and Beast read into) goes as a draining_buffer.
            if constexpr (IsRead && std::is_convertible_v<Buffers const&, net::mutable_buffer>)
                self->socket_.async_read_some(draining_buffer{buffers}, std::move(timed));
            else if constexpr (IsRead)
                self->socket_.async_read_some(buffers, std::move(timed));
            else
                self->socket_.async_write_some(buffers, std::move(timed));
        }
    };

    socket_type socket_;
    lazy_deadline deadline_;  // after socket_, which it cancels
};

}  // namespace aic::net_tls

namespace boost::asio {

// The wrapped handler keeps the awaiting coroutine's executor, allocator and cancellation slot.
template <template <typename, typename> class Associator, typename Handler, typename DefaultCandidate>
struct associator<Associator, aic::net_tls::timed_socket::timed_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        aic::net_tls::timed_socket::timed_handler<Handler> const& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(aic::net_tls::timed_socket::timed_handler<Handler> const& h,
                    DefaultCandidate const& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

}  // namespace boost::asio
