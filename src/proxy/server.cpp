// The server: N event loops ("workers"), each with its own accept loops, session registry and
// upstream pool; update() and the drain on shutdown reach every worker on its own loop. Nothing
// a worker owns is touched from another thread, so the hot path takes no lock.
#include "proxy/server.hpp"

#include "proxy/connection.hpp"
#include "proxy/errors.hpp"
#include "proxy/listener.hpp"
#include "proxy/request_id.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <list>
#include <thread>

namespace aic::proxy {

namespace detail {

std::shared_ptr<snapshot const> make_snapshot(std::shared_ptr<routing_table const> table,
                                              config::security security) {
    std::vector<std::string> prefixes;
    prefixes.reserve(table->routes.size());
    for (auto const& b : table->routes) prefixes.push_back(b.route.prefix);
    return std::make_shared<snapshot const>(
        snapshot{std::move(table), router{std::move(prefixes)}, std::move(security)});
}

void session_handle::abort() {
    // Closing the sockets completes whatever the session awaits with operation_aborted.
    if (upstream != nullptr) upstream->close();
    if (client != nullptr) client->close();
}

server_env::server_env(net::any_io_executor ex, net::any_io_executor home_ex, server_settings s,
                       ssl::context& tls, ops::metrics_registry& m, local_handler l)
    : settings(std::move(s)),
      metrics(m),
      local(std::move(l)),
      home(std::move(home_ex)),
      pool(std::move(ex), tls,
           net_tls::pool_settings{.max_idle_per_upstream = settings.limits.upstream_pool_size,
                                  .idle_timeout = settings.timeouts.upstream_idle,
                                  .timeouts = net_tls::connect_timeouts{settings.timeouts.connect,
                                                                        settings.timeouts.tls_handshake}}) {}

}  // namespace detail

namespace {

// Over max_connections: accept, answer 503 and close, rather than leaving the connection in the
// kernel's backlog where the client would only see a timeout with no reason.
net::awaitable<void> refuse_connection(detail::client_socket socket, std::chrono::milliseconds timeout) {
    detail::client_stream stream{std::move(socket)};
    auto const id = make_request_id({});
    auto res = error_response(refusal{http::status::service_unavailable, "too_many_connections",
                                      "the proxy is at limits.max_connections"},
                              id, 11, false);
    co_await detail::write_response(stream, std::move(res), timeout);
    error_code ignored;
    stream.socket().shutdown(net::socket_base::shutdown_send, ignored);
    stream.close();
}

// One event loop's part of the server.
struct worker : std::enable_shared_from_this<worker> {
    worker(std::size_t i, net::any_io_executor e, net::any_io_executor home, server_settings s,
           std::shared_ptr<detail::snapshot const> snap, ssl::context& tls, ops::metrics_registry& m,
           local_handler local, std::atomic<std::size_t>& connections)
        : index(i), ex(e), all_done(e), total_connections(connections) {
        env =
            std::make_shared<detail::server_env>(e, std::move(home), std::move(s), tls, m, std::move(local));
        env->current = std::move(snap);
    }

    std::size_t index;  // 0 for the first loop
    net::any_io_executor ex;
    std::shared_ptr<detail::server_env> env;
    std::vector<detail::bound_listener> listeners;
    std::list<std::shared_ptr<detail::session_handle>> sessions;
    net::steady_timer all_done;                   // a one-shot event: cancelled when the last session ends
    std::atomic<std::size_t>& total_connections;  // over every worker, for limits.max_connections

    void close_listeners() {
        for (auto& l : listeners) {
            error_code ignored;
            l.acceptor.close(ignored);
            if (!l.unix_path.empty()) {
                ::unlink(l.unix_path.c_str());
                l.unix_path.clear();
            }
        }
    }

    // Closes everything at once (the server is going away without a drain).
    void abort_all() {
        close_listeners();
        env->draining = true;
        for (auto const& h : sessions) h->abort();
        env->pool.clear();
    }

    void start_accepting() {
        for (std::size_t i = 0; i < listeners.size(); ++i) {
            net::co_spawn(ex, accept_loop(shared_from_this(), i), net::detached);
        }
    }

    void session_ended(std::list<std::shared_ptr<detail::session_handle>>::iterator it,
                       std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (std::exception const& failure) {
                spdlog::error("connection ended by an error: {}", failure.what());
            } catch (...) {
                spdlog::error("connection ended by an unknown error");
            }
        }
        sessions.erase(it);
        total_connections.fetch_sub(1, std::memory_order_relaxed);
        env->metrics.connection_closed();
        if (sessions.empty()) all_done.cancel();
    }

    static net::awaitable<void> accept_loop(std::shared_ptr<worker> self, std::size_t index) {
        auto& listener = self->listeners[index];
        net::steady_timer backoff{self->ex};
        for (;;) {
            auto [ec, socket] = co_await listener.acceptor.async_accept(use_nothrow);
            if (!listener.acceptor.is_open() || ec == net::error::operation_aborted) co_return;
            if (ec) {
                // Another loop took the connection first (a shared unix socket), or EMFILE and
                // friends: for those, pause instead of spinning on a failing accept.
                if (ec == net::error::would_block || ec == net::error::try_again) continue;
                spdlog::warn("accept on {}: {}", listener.text, ec.message());
                backoff.expires_after(std::chrono::milliseconds{100});
                co_await backoff.async_wait(use_nothrow);
                continue;
            }
            auto& env = *self->env;
            std::string client_ip;
            if (listener.tcp_endpoint) {
                error_code pec;
                auto peer = detail::to_tcp(socket.remote_endpoint(pec));
                if (peer) client_ip = peer->address().to_string();
                socket.set_option(tcp::no_delay(true), pec);
            }
            if (env.draining) continue;  // closed by going out of scope
            if (self->total_connections.fetch_add(1, std::memory_order_relaxed) >=
                env.settings.limits.max_connections) {
                self->total_connections.fetch_sub(1, std::memory_order_relaxed);
                net::co_spawn(self->ex, refuse_connection(std::move(socket), env.settings.timeouts.body_io),
                              net::detached);
                continue;
            }
            auto handle = std::make_shared<detail::session_handle>();
            auto it = self->sessions.insert(self->sessions.end(), handle);
            env.metrics.connection_opened(self->index);
            net::co_spawn(self->ex,
                          detail::run_session(self->env, std::move(socket), std::move(client_ip), handle),
                          [self, it](std::exception_ptr e) { self->session_ended(it, e); });
        }
    }

    // On this worker's loop: new requests start with `snap`.
    static net::awaitable<void> install(std::shared_ptr<worker> self,
                                        std::shared_ptr<detail::snapshot const> snap) {
        self->env->current = std::move(snap);
        co_return;
    }

    // On this worker's loop: no new connections, no next request on a kept-alive one.
    static net::awaitable<void> stop_accepting(std::shared_ptr<worker> self) {
        self->close_listeners();
        self->env->draining = true;
        // Connections waiting for a next request have nothing to finish.
        for (auto const& h : self->sessions) {
            if (h->idle) h->abort();
        }
        co_return;
    }

    // On this worker's loop, after stop_accepting: let requests in flight finish up to `limit`,
    // then close what is left.
    static net::awaitable<void> drain(std::shared_ptr<worker> self, std::chrono::milliseconds limit) {
        if (!self->sessions.empty()) {
            self->all_done.expires_after(limit);
            co_await self->all_done.async_wait(use_nothrow);
        }
        if (!self->sessions.empty()) {
            spdlog::warn("drain time over: closing {} connection(s) with requests in flight",
                         self->sessions.size());
            for (auto const& h : self->sessions) h->abort();
            self->all_done.expires_at(net::steady_timer::time_point::max());
            if (!self->sessions.empty()) co_await self->all_done.async_wait(use_nothrow);
        }
        self->env->pool.clear();
    }
};

// An event loop of its own, run on its own thread until the server lets it go.
struct extra_loop {
    net::io_context ioc{one_thread_per_loop};
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    std::thread thread;
};

// Runs `job(w)` on every worker's own loop at once and completes (on the calling loop) when all
// of them have finished. Arguments by reference and callers pass named objects: GCC 12 destroys
// by-value arguments of a coroutine called inside a co_await expression twice (PR 99576).
template <class Job>
net::awaitable<void> on_every_worker(std::vector<std::shared_ptr<worker>> const& workers, Job const& job) {
    auto const here = co_await net::this_coro::executor;
    auto pending = std::make_shared<std::size_t>(workers.size());
    auto all_done = std::make_shared<net::steady_timer>(here, net::steady_timer::time_point::max());
    for (auto const& w : workers) {
        net::co_spawn(w->ex, job(w), [here, pending, all_done](std::exception_ptr e) {
            if (e) spdlog::error("event loop task failed");
            // Counted on the calling loop, which alone touches `pending` and the timer.
            net::post(here, [pending, all_done] {
                if (--*pending == 0) all_done->cancel();
            });
        });
    }
    while (*pending > 0) co_await all_done->async_wait(use_nothrow);
}

}  // namespace

struct server::impl {
    impl(net::any_io_executor e, server_settings s, std::shared_ptr<routing_table const> routes,
         ssl::context& tls, ops::metrics_registry& m, local_handler local)
        : home(e) {
        unsigned const n = std::max(1u, s.threads);
        auto snap = detail::make_snapshot(std::move(routes), s.security);
        for (unsigned i = 1; i < n; ++i) loops.push_back(std::make_unique<extra_loop>());
        for (unsigned i = 0; i < n; ++i) {
            net::any_io_executor ex = i == 0 ? home : loops[i - 1]->ioc.get_executor();
            workers.push_back(std::make_shared<worker>(i, ex, home, s, snap, tls, m, local, connections));
        }
    }

    ~impl() {
        // Normally shutdown() has drained everything and the extra loops have ended; otherwise stop
        // them first, so that no loop runs while its worker is closed from this thread.
        for (auto& loop : loops) {
            if (!loop->thread.joinable()) continue;
            loop->ioc.stop();
            loop->thread.join();
        }
        for (auto& w : workers) w->abort_all();
        workers.clear();
    }

    net::any_io_executor home;
    std::atomic<std::size_t> connections{0};
    std::vector<std::unique_ptr<extra_loop>> loops;  // declared before workers: outlives their sockets
    std::vector<std::shared_ptr<worker>> workers;    // [0] runs on `home`, [i] on loops[i - 1]
};

server::server(net::any_io_executor ex, server_settings settings, std::shared_ptr<routing_table const> routes,
               ssl::context& upstream_tls, ops::metrics_registry& metrics, local_handler local)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(settings), std::move(routes), upstream_tls,
                                   metrics, std::move(local))) {}

server::~server() = default;

void server::start() {
    auto& first = *impl_->workers.front();
    for (auto const& address : first.env->settings.listen) {
        auto bound = detail::bind_listener(first.ex, address, impl_->workers.size() > 1);
        for (auto& b : bound) first.listeners.push_back(std::move(b));
    }
    for (std::size_t i = 1; i < impl_->workers.size(); ++i) {
        auto& w = *impl_->workers[i];
        for (auto& l : first.listeners) w.listeners.push_back(detail::another_listener(l, w.ex));
    }
    for (auto& w : impl_->workers) w->start_accepting();
    for (auto& loop : impl_->loops) loop->thread = std::thread([&ioc = loop->ioc] { ioc.run(); });
}

net::awaitable<void> server::update(std::shared_ptr<routing_table const> const& routes,
                                    config::security const& security) {
    auto const snap = detail::make_snapshot(routes, security);
    auto const install = [snap](std::shared_ptr<worker> w) { return worker::install(std::move(w), snap); };
    co_await on_every_worker(impl_->workers, install);
}

net::awaitable<void> server::stop_accepting() {
    co_await on_every_worker(impl_->workers, worker::stop_accepting);
}

net::awaitable<void> server::shutdown(std::chrono::milliseconds drain) {
    auto self = impl_;
    co_await on_every_worker(self->workers, worker::stop_accepting);  // idempotent
    auto const drain_one = [drain](std::shared_ptr<worker> w) { return worker::drain(std::move(w), drain); };
    co_await on_every_worker(self->workers, drain_one);
    // Nothing is left on the extra loops: let their threads end.
    for (auto& loop : self->loops) loop->work.reset();
    for (auto& loop : self->loops)
        if (loop->thread.joinable()) loop->thread.join();
}

std::vector<tcp::endpoint> server::tcp_endpoints() const {
    std::vector<tcp::endpoint> out;
    for (auto const& l : impl_->workers.front()->listeners) {
        if (l.tcp_endpoint) out.push_back(*l.tcp_endpoint);
    }
    return out;
}

std::size_t server::active_connections() const {
    return impl_->connections.load(std::memory_order_relaxed);
}

}  // namespace aic::proxy
