// Idle connection lists per upstream with lazy liveness checks and a sweep timer for expiry.
#include "net/upstream_pool.hpp"

#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>
#include <cerrno>
#include <deque>
#include <map>
#include <tuple>
#include <utility>

namespace aic::net_tls {

namespace {

using clock = std::chrono::steady_clock;

// Idle lists are found by host and port; the comparison also takes an https_url, so a lookup
// builds no key string.
struct upstream_key {
    std::string host;
    std::uint16_t port;
};

struct key_less {
    using is_transparent = void;
    static auto tie(upstream_key const& k) { return std::tie(k.port, k.host); }
    static auto tie(https_url const& u) { return std::tie(u.port, u.host); }
    template <class A, class B>
    bool operator()(A const& a, B const& b) const {
        return tie(a) < tie(b);
    }
};

// A pooled connection the upstream closed (or sent anything on, e.g. a TLS close_notify) is
// useless; what the stream already received, then a non-blocking peek tell without consuming, so most stale
// connections never get a request written to them.
bool looks_alive(tls_stream& s) {
    if (s.has_unread_input()) return false;
    auto& sock = s.socket();
    char byte = 0;
    auto const n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

struct upstream_pool::state {
    struct idle_entry {
        std::unique_ptr<tls_stream> stream;
        clock::time_point since;
    };
    using idle_list = std::deque<idle_entry>;

    state(net::any_io_executor ex, ssl::context& ctx, pool_settings s)
        : tls(ctx), settings(s), sweep(std::move(ex)) {}

    ssl::context& tls;
    pool_settings settings;
    std::map<upstream_key, idle_list, key_less> idle;
    net::steady_timer sweep;
    bool sweeping = false;

    // Wakes once per idle_timeout while anything is idle; holds no strong reference, so a
    // destroyed pool just lets the wait end.
    static void schedule_sweep(std::shared_ptr<state> const& s) {
        if (s->sweeping) return;
        s->sweeping = true;
        s->sweep.expires_after(s->settings.idle_timeout);
        std::weak_ptr<state> weak = s;
        s->sweep.async_wait([weak](error_code ec) {
            auto self = weak.lock();
            if (!self) return;
            self->sweeping = false;
            if (!ec) self->expire(clock::now());
            if (!self->idle.empty()) schedule_sweep(self);
        });
    }

    void expire(clock::time_point now) {
        for (auto it = idle.begin(); it != idle.end();) {
            auto& list = it->second;
            while (!list.empty() && now - list.front().since >= settings.idle_timeout) list.pop_front();
            it = list.empty() ? idle.erase(it) : std::next(it);
        }
    }
};

upstream_pool::upstream_pool(net::any_io_executor ex, ssl::context& tls, pool_settings settings)
    : state_(std::make_shared<state>(std::move(ex), tls, settings)) {}

upstream_pool::~upstream_pool() {
    clear();
}

std::unique_ptr<tls_stream> upstream_pool::try_take(https_url const& target, reuse_check check) {
    auto it = state_->idle.find(target);
    if (it == state_->idle.end()) return nullptr;
    auto const now = clock::now();
    auto const& settings = state_->settings;
    while (!it->second.empty()) {
        auto entry = std::move(it->second.back());
        it->second.pop_back();
        auto const idle = now - entry.since;
        if (idle >= settings.idle_timeout || !entry.stream->socket().is_open()) continue;
        bool const recent = check == reuse_check::after_a_pause && idle < settings.check_after_idle;
        if (recent || looks_alive(*entry.stream)) return std::move(entry.stream);
    }
    return nullptr;
}

net::awaitable<connect_result> upstream_pool::connect(https_url const& target) {
    auto st = state_;  // the pool may be destroyed while we wait for a connect
    auto r = co_await connect_tls(st->tls, target, st->settings.timeouts);
    if (!r) co_return r.error();
    error_code ignored;
    (*r)->socket().set_option(tcp::no_delay(true), ignored);
    co_return std::move(*r);
}

void upstream_pool::release(https_url const& target, std::unique_ptr<tls_stream> stream) {
    if (!stream || state_->settings.max_idle_per_upstream == 0) return;
    auto it = state_->idle.find(target);
    if (it == state_->idle.end())
        it = state_->idle.emplace(upstream_key{target.host, target.port}, state::idle_list{}).first;
    auto& list = it->second;
    if (list.size() >= state_->settings.max_idle_per_upstream) list.pop_front();  // keep the warmest
    stream->expires_never();
    list.push_back(state::idle_entry{std::move(stream), clock::now()});
    state::schedule_sweep(state_);
}

void upstream_pool::clear() {
    state_->idle.clear();
    state_->sweep.cancel();
}

std::size_t upstream_pool::idle_count() const {
    std::size_t n = 0;
    for (auto const& [key, list] : state_->idle) n += list.size();
    return n;
}

}  // namespace aic::net_tls
