// A receive buffer whose receive tells the event loop when it emptied the socket, so that the
// socket's next receive waits for epoll's next readiness edge instead of first trying, and
// failing, to read.
//
// Asio's epoll reactor tries every receive at once ("speculatively") unless the last one on the
// socket was exhausted, and it counts only end of file as exhausted. A proxy receives right after
// it writes: the response right after the request went upstream, the next request right after a
// response went to the client. There the attempt almost always fails (EAGAIN), a system call per
// receive for nothing.
//
// A short receive is not proof that the socket is empty: a FIN that came with the data stays
// readable after it, and no new edge announces it (nginx learns that from EPOLLRDHUP, which Asio
// does not register). TCP_INQ says it exactly: with it on, each recvmsg reports how many bytes are
// still queued, and a FIN already received counts as one. Zero means nothing is left, and whatever
// arrives later makes an edge of its own. The reactor clears its per-socket "try now" flag under
// the socket's lock when a receive reports done_and_exhausted, and sets it again on every edge, so
// no edge is lost in between. The receive operation's perform step is the one place that sees the
// count, and it is given here for this buffer type. Sockets without TCP_INQ (unix sockets) get no
// count and keep Asio's behaviour.
#pragma once

#include "core/net.hpp"

#include <boost/asio/detail/reactive_socket_recv_op.hpp>
#include <boost/asio/version.hpp>

// The specialisation below stands in for a detail class of Asio 1.26 (Boost 1.81, Debian 12's).
// Another version may have changed that class: check it before moving this line.
static_assert(BOOST_ASIO_VERSION == 102600, "draining_buffer is written against Asio 1.26 (Boost 1.81)");

namespace aic::net_tls {

// One buffer, as a MutableBufferSequence, for async_read_some on a stream socket.
struct draining_buffer {
    net::mutable_buffer buffer;

    net::mutable_buffer const* begin() const noexcept { return &buffer; }
    net::mutable_buffer const* end() const noexcept { return &buffer + 1; }
};

// Turns TCP_INQ on for a connected TCP socket (once per connection); false when the socket is not
// TCP or the kernel refuses, and then its receives simply never report the socket empty.
bool report_queued_bytes(int fd) noexcept;

// One non-blocking receive into `data`. Returns false when nothing was there (EAGAIN). Otherwise
// sets `ec` and `bytes` as Asio's receive does (end of file: eof and 0) and `drained` when the
// kernel reported that nothing is left to read, not even an end of file.
bool receive_draining(int fd, void* data, std::size_t size, int flags, error_code& ec, std::size_t& bytes,
                      bool& drained) noexcept;

}  // namespace aic::net_tls

namespace boost::asio::detail {

// The receive operation's perform step for draining_buffer.
template <>
class reactive_socket_recv_op_base<aic::net_tls::draining_buffer> : public reactor_op {
public:
    reactive_socket_recv_op_base(boost::system::error_code const& success_ec, socket_type socket,
                                 socket_ops::state_type, aic::net_tls::draining_buffer const& buffers,
                                 socket_base::message_flags flags, func_type complete_func)
        : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
          socket_(socket),
          buffer_(buffers.buffer),
          flags_(flags) {}

    static status do_perform(reactor_op* base) {
        auto* const o = static_cast<reactive_socket_recv_op_base*>(base);
        bool drained = false;
        if (!aic::net_tls::receive_draining(o->socket_, o->buffer_.data(), o->buffer_.size(), o->flags_,
                                            o->ec_, o->bytes_transferred_, drained))
            return not_done;
        return drained || o->ec_ == boost::asio::error::eof ? done_and_exhausted : done;
    }

private:
    socket_type socket_;
    boost::asio::mutable_buffer buffer_;
    socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
