// The localhost side: listeners, one coroutine per client connection, routing, policy and the
// streaming relay to the tenant. The app builds a routing_table and a local_handler and owns
// the server; auth is reached only through auth::authenticator.
#pragma once

#include "auth/authenticator.hpp"
#include "config/config.hpp"
#include "core/net.hpp"
#include "core/url.hpp"
#include "ops/metrics.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aic::proxy {

// One configured route, bound to the upstream it forwards to and the authenticator that
// supplies its headers. Several routes may share one authenticator.
struct route_binding {
    route_binding(config::route r, https_url u, std::shared_ptr<auth::authenticator> a)
        : route(std::move(r)), upstream(std::move(u)), authority(upstream.authority()), auth(std::move(a)) {}

    config::route route;
    https_url upstream;     // tenant, or the route's own "upstream"
    std::string authority;  // upstream's Host header form, built once rather than per request
    std::shared_ptr<auth::authenticator> auth;
    // Where its requests are counted (metrics_registry::route_slot): by prefix, not by position,
    // which a reload may change.
    std::size_t metrics_slot = ops::metrics_registry::no_route;
};

struct routing_table {
    std::vector<route_binding> routes;  // in config order; metrics route index = position here
};

// Answers /_proxy/<rest>; receives "<rest>" with its leading '/', e.g. "/healthz".
using local_handler = std::function<http::response<http::string_body>(std::string_view path)>;

struct server_settings {
    std::vector<config::listen_address> listen;
    config::timeouts timeouts;
    config::limits limits;
    config::security security;
    unsigned threads = 1;  // event loops; the first is the caller's, the others get a thread each
};

// With threads = N the server runs N shared-nothing event loops, as nginx runs workers: each
// accepts from the same listening sockets and owns its sessions and upstream pool, so the hot
// path takes no lock. The first loop is `ex` (the caller's); the local handler always runs there.
class server {
public:
    server(net::any_io_executor ex, server_settings settings, std::shared_ptr<routing_table const> routes,
           ssl::context& upstream_tls, ops::metrics_registry& metrics, local_handler local);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    // Binds every listener (throws std::runtime_error naming the address), starts the extra
    // event loops and starts accepting.
    void start();
    // SIGHUP: new requests use the new routes/policy; requests in flight finish on the old ones.
    // Completes when every event loop has the new routes. Call from the caller's executor.
    net::awaitable<void> update(std::shared_ptr<routing_table const> const& routes,
                                config::security const& security);
    // Completes when no event loop accepts any more: every listener is closed (a connect is
    // refused) and idle keep-alive connections are closed. Call from the caller's executor.
    net::awaitable<void> stop_accepting();
    // Stops accepting (if stop_accepting has not), lets in-flight requests finish up to `drain`,
    // then closes everything and lets the extra event loops end. Call from the caller's executor.
    net::awaitable<void> shutdown(std::chrono::milliseconds drain);

    std::vector<tcp::endpoint> tcp_endpoints() const;  // bound addresses (port 0 resolved)
    std::size_t active_connections() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace aic::proxy
