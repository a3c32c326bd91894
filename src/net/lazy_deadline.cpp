// The timer behind lazy_deadline: armed at most once at a time, for the earliest time a pending
// operation could time out.
#include "net/lazy_deadline.hpp"

namespace aic::net_tls {

lazy_deadline::lazy_deadline(net::any_io_executor ex, void* socket, void (*cancel)(void*))
    : socket_(socket), cancel_(cancel), timer_(std::make_shared<timer_state>(std::move(ex))) {
    timer_->owner = this;
}

// The timer state goes with us (the handler only holds it weakly), and with it the timer and its
// wait. A wake already queued when we go finds no state, or a state without an owner.
lazy_deadline::~lazy_deadline() {
    timer_->owner = nullptr;
}

// The coarse clock lags real time by up to one tick, so a wait for a deadline still ahead lasts
// one tick longer than the time left by that clock: when it wakes, the coarse clock has reached
// the deadline, and on_wake need not wait again for the same one.
constexpr auto coarse_tick = std::chrono::milliseconds{5};  // CONFIG_HZ 250 gives 4; 1000 gives 1

void lazy_deadline::arm() {
    armed_at_ = at_;
    auto const left = at_ - clock::now();
    // expires_after cancels a wait still pending for a later time.
    timer_->timer.expires_after(left > clock::duration::zero() ? left + coarse_tick
                                                               : clock::duration::zero());
    timer_->timer.async_wait([weak = std::weak_ptr<timer_state>(timer_)](error_code ec) {
        if (ec) return;  // re-armed earlier, or the owner went away
        auto const state = weak.lock();
        if (state && state->owner) state->owner->on_wake();
    });
}

void lazy_deadline::on_wake() {
    armed_at_ = clock::time_point::max();
    if (at_ == clock::time_point::max()) return;
    if (clock::now() < at_) return arm();
    expired_ = true;
    at_ = clock::time_point::max();
    cancel_(socket_);
}

}  // namespace aic::net_tls
