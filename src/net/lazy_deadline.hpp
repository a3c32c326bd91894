// One deadline per connection, as beast::basic_stream has it, but re-armed lazily: pushing the
// deadline later (the usual case, every operation pushing it forward) costs no timer operation.
// The pending wait wakes at the old time and sleeps again until the new one. basic_stream starts
// and cancels a timer wait around every read and write, which costs a timer-queue insert, a cancel
// and an extra completion through the scheduler each time.
#pragma once

#include "core/net.hpp"

#include <chrono>
#include <memory>

namespace aic::net_tls {

class lazy_deadline {
public:
    using clock = std::chrono::steady_clock;

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
    void expires_after(clock::duration d);
    void expires_never();

    // Whether an operation starting now must fail with timeout.
    bool expired() const;
    // What a completed operation reports: timeout when the deadline cancelled it, `ec` otherwise.
    error_code error_for(error_code ec) const;

private:
    lazy_deadline(net::any_io_executor ex, void* socket, void (*cancel)(void*));

    struct state;
    std::shared_ptr<state> state_;  // the timer's handler holds it weakly: it may run after we go
};

}  // namespace aic::net_tls
