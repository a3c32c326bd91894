// The server: listeners, the session registry, update() and the drain on shutdown. One thread:
// every member is touched only from the io_context's thread, so no locks.
#include "proxy/server.hpp"

#include "proxy/connection.hpp"
#include "proxy/errors.hpp"
#include "proxy/listener.hpp"
#include "proxy/request_id.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <algorithm>
#include <list>

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

server_env::server_env(net::any_io_executor ex, server_settings s, ssl::context& tls,
                       ops::metrics_registry& m, local_handler l)
    : settings(std::move(s)),
      metrics(m),
      local(std::move(l)),
      pool(std::move(ex), tls,
           net_tls::pool_settings{
               settings.limits.upstream_pool_size, settings.timeouts.upstream_idle,
               net_tls::connect_timeouts{settings.timeouts.connect, settings.timeouts.tls_handshake}}) {}

}  // namespace detail

namespace {

// Over max_connections: accept, answer 503 and close, rather than leaving the connection in the
// kernel's backlog where the client would only see a timeout with no reason.
net::awaitable<void> refuse_connection(detail::client_stream stream, std::chrono::milliseconds timeout) {
    auto const id = make_request_id({});
    auto res = error_response(refusal{http::status::service_unavailable, "too_many_connections",
                                      "the proxy is at limits.max_connections"},
                              id, 11, false);
    co_await detail::write_response(stream, std::move(res), timeout);
    error_code ignored;
    stream.socket().shutdown(net::socket_base::shutdown_send, ignored);
    stream.close();
}

}  // namespace

struct server::impl : std::enable_shared_from_this<impl> {
    impl(net::any_io_executor e, server_settings s, std::shared_ptr<routing_table const> routes,
         ssl::context& tls, ops::metrics_registry& m, local_handler local)
        : ex(e), all_done(e) {
        auto security = s.security;
        env = std::make_shared<detail::server_env>(e, std::move(s), tls, m, std::move(local));
        env->current = detail::make_snapshot(std::move(routes), std::move(security));
    }

    net::any_io_executor ex;
    std::shared_ptr<detail::server_env> env;
    std::vector<detail::bound_listener> listeners;
    std::list<std::shared_ptr<detail::session_handle>> sessions;
    net::steady_timer all_done;  // a one-shot event: cancelled when the last session ends

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
        env->metrics.connection_closed();
        if (sessions.empty()) all_done.cancel();
    }

    static net::awaitable<void> accept_loop(std::shared_ptr<impl> self, std::size_t index) {
        auto& listener = self->listeners[index];
        net::steady_timer backoff{self->ex};
        for (;;) {
            auto [ec, socket] = co_await listener.acceptor.async_accept(use_nothrow);
            if (!listener.acceptor.is_open() || ec == net::error::operation_aborted) co_return;
            if (ec) {
                // EMFILE and friends: pause instead of spinning on a failing accept.
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
            detail::client_stream stream{std::move(socket)};
            if (self->env->draining) continue;  // closed by going out of scope
            if (self->sessions.size() >= env.settings.limits.max_connections) {
                net::co_spawn(self->ex, refuse_connection(std::move(stream), env.settings.timeouts.body_io),
                              net::detached);
                continue;
            }
            auto handle = std::make_shared<detail::session_handle>();
            auto it = self->sessions.insert(self->sessions.end(), handle);
            env.metrics.connection_opened();
            net::co_spawn(self->ex,
                          detail::run_session(self->env, std::move(stream), std::move(client_ip), handle),
                          [self, it](std::exception_ptr e) { self->session_ended(it, e); });
        }
    }
};

server::server(net::any_io_executor ex, server_settings settings, std::shared_ptr<routing_table const> routes,
               ssl::context& upstream_tls, ops::metrics_registry& metrics, local_handler local)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(settings), std::move(routes), upstream_tls,
                                   metrics, std::move(local))) {}

server::~server() {
    impl_->close_listeners();
    impl_->env->draining = true;
    for (auto const& h : impl_->sessions) h->abort();
    impl_->env->pool.clear();
}

void server::start() {
    for (auto const& address : impl_->env->settings.listen) {
        auto bound = detail::bind_listener(impl_->ex, address);
        for (auto& b : bound) impl_->listeners.push_back(std::move(b));
    }
    for (std::size_t i = 0; i < impl_->listeners.size(); ++i) {
        net::co_spawn(impl_->ex, impl::accept_loop(impl_, i), net::detached);
    }
}

void server::update(std::shared_ptr<routing_table const> routes, config::security security) {
    impl_->env->current = detail::make_snapshot(std::move(routes), std::move(security));
}

net::awaitable<void> server::shutdown(std::chrono::milliseconds drain) {
    auto self = impl_;
    self->close_listeners();
    self->env->draining = true;
    // Connections waiting for a next request have nothing to finish.
    for (auto const& h : self->sessions) {
        if (h->idle) h->abort();
    }
    if (!self->sessions.empty()) {
        self->all_done.expires_after(drain);
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

std::vector<tcp::endpoint> server::tcp_endpoints() const {
    std::vector<tcp::endpoint> out;
    for (auto const& l : impl_->listeners) {
        if (l.tcp_endpoint) out.push_back(*l.tcp_endpoint);
    }
    return out;
}

std::size_t server::active_connections() const {
    return impl_->sessions.size();
}

}  // namespace aic::proxy
