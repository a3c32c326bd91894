// The timer behind lazy_deadline: armed at most once at a time, for the earliest time a pending
// operation could time out.
#include "net/lazy_deadline.hpp"

namespace aic::net_tls {

struct lazy_deadline::state {
    state(net::any_io_executor ex, void* s, void (*c)(void*)) : timer(std::move(ex)), socket(s), cancel(c) {}

    net::steady_timer timer;
    clock::time_point at = clock::time_point::max();        // when pending operations time out
    clock::time_point armed_at = clock::time_point::max();  // when the pending wait wakes (max: none)
    bool expired = false;
    void* socket;
    void (*cancel)(void*);

    static void arm(std::shared_ptr<state> const& self) {
        self->armed_at = self->at;
        self->timer.expires_at(self->at);  // cancels a wait still pending for a later time
        self->timer.async_wait([weak = std::weak_ptr<state>(self)](error_code ec) {
            if (ec) return;  // re-armed earlier, or the owner went away
            auto const d = weak.lock();
            if (!d) return;
            d->armed_at = clock::time_point::max();
            if (d->at == clock::time_point::max()) return;
            if (clock::now() < d->at) return arm(d);
            d->expired = true;
            d->at = clock::time_point::max();
            d->cancel(d->socket);
        });
    }
};

lazy_deadline::lazy_deadline(net::any_io_executor ex, void* socket, void (*cancel)(void*))
    : state_(std::make_shared<state>(std::move(ex), socket, cancel)) {}

// The state goes with us (the handler only holds it weakly), and with it the timer and its wait:
// the handler can reach the socket only while its owner, and so the socket, still lives.
lazy_deadline::~lazy_deadline() = default;

void lazy_deadline::expires_after(clock::duration d) {
    auto& s = *state_;
    s.expired = false;
    s.at = clock::now() + d;
    if (s.armed_at > s.at) state::arm(state_);  // else the pending wait wakes first
}

void lazy_deadline::expires_never() {
    state_->expired = false;
    state_->at = clock::time_point::max();
}

bool lazy_deadline::expired() const {
    return state_->expired || clock::now() >= state_->at;
}

error_code lazy_deadline::error_for(error_code ec) const {
    if (ec == net::error::operation_aborted && state_->expired) return beast::error::timeout;
    return ec;
}

}  // namespace aic::net_tls
