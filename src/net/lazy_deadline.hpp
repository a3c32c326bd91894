// One deadline per connection, as beast::basic_stream has it, but re-armed lazily: pushing the
// deadline later (the usual case, every operation pushing it forward) costs no timer operation.
// The pending wait wakes at the old time and sleeps again until the new one. basic_stream starts
// and cancels a timer wait around every read and write, which costs a timer-queue insert, a cancel
// and an extra completion through the scheduler each time.
#pragma once

#include "core/net.hpp"
#include "core/posix_clock.hpp"

#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace aic::net_tls {

class lazy_deadline {
public:
    // Deadlines are seconds long and read several times per request: the coarse clock will do.
    using clock = coarse_clock;

    // `socket` (an Asio socket) is cancelled when the deadline passes; it must outlive this object.
    template <class Socket>
    lazy_deadline(net::any_io_executor ex, Socket& socket)
        : lazy_deadline(std::move(ex), &socket, [](void* s) {
              error_code ignored;
              static_cast<Socket*>(s)->cancel(ignored);
          }) {}
    ~lazy_deadline();
    lazy_deadline(lazy_deadline const&) = delete;
    lazy_deadline& operator=(lazy_deadline const&) = delete;

    // Operations pending when `d` from now passes (or started after it passed) fail with
    // beast::error::timeout.
    void expires_after(clock::duration d) {
        expired_ = false;
        at_ = clock::now() + d;
        if (armed_at_ > at_) arm();  // else the pending wait wakes first
    }
    void expires_never() {
        expired_ = false;
        at_ = clock::time_point::max();
    }

    // Whether an operation starting now must fail with timeout.
    bool expired() const { return expired_ || (at_ != clock::time_point::max() && clock::now() >= at_); }
    // What a completed operation reports: timeout when the deadline cancelled it, `ec` otherwise.
    error_code error_for(error_code ec) const {
        if (ec == net::error::operation_aborted && expired_) return beast::error::timeout;
        return ec;
    }

private:
    lazy_deadline(net::any_io_executor ex, void* socket, void (*cancel)(void*));
    void arm();
    void on_wake();

    // What every operation reads and writes lives here, beside the socket, so the request path
    // touches no other object. Only the timer, which its pending wait may outlive us by, is apart.
    clock::time_point at_ = clock::time_point::max();        // when pending operations time out
    clock::time_point armed_at_ = clock::time_point::max();  // when the pending wait wakes (max: none)
    bool expired_ = false;
    void* socket_;
    void (*cancel_)(void*);

    // The timer itself runs on steady_clock: an Asio timer on the coarse clock is not due until
    // that clock ticks past its time, while the kernel timer that wakes the loop is precise, so
    // the loop would wake and re-arm over and over in the last tick before it.
    struct timer_state {
        explicit timer_state(net::any_io_executor ex) : timer(std::move(ex)) {}
        net::steady_timer timer;
        lazy_deadline* owner = nullptr;  // cleared when the owner goes
    };
    std::shared_ptr<timer_state> timer_;  // the wait's handler holds it weakly
};

}  // namespace aic::net_tls
