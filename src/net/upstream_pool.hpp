// Idle keep-alive TLS connections to upstreams, keyed by host:port. A connection goes back only
// after a complete response with keep-alive; idle ones expire. Connect failures come back as
// connect_failure values, never as exceptions.
#pragma once

#include "core/net.hpp"
#include "core/url.hpp"
#include "net/tls_connect.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace aic::net_tls {

struct pool_settings {
    std::size_t max_idle_per_upstream = 32;
    std::chrono::milliseconds idle_timeout{30000};
    connect_timeouts timeouts;
    // A connection idle this long is checked before reuse even when the caller could resend
    // (reuse_check::after_a_pause). Upstreams close idle connections after seconds, not sooner.
    std::chrono::milliseconds check_after_idle{1000};
};

// How sure try_take must be that a pooled connection is still open. The check is a non-blocking
// peek: one system call per request, a fifth of the steady-state request's.
enum class reuse_check {
    always,         // the request could not be sent again if the connection turns out closed
    after_a_pause,  // only after check_after_idle: the caller resends a request that meets a closed one
};

using connect_result = boost::system::result<std::unique_ptr<tls_stream>, connect_failure>;

class upstream_pool {
public:
    upstream_pool(net::any_io_executor ex, ssl::context& tls, pool_settings settings);
    ~upstream_pool();
    upstream_pool(upstream_pool const&) = delete;
    upstream_pool& operator=(upstream_pool const&) = delete;

    // An idle connection to target's host:port that is still alive as far as `check` looks, or
    // null. The steady-state path: no coroutine frame, no allocation. The upstream may still have
    // closed it a moment ago.
    std::unique_ptr<tls_stream> try_take(https_url const& target, reuse_check check);
    // A new verified connection to target's host:port. `target` must outlive the wait.
    net::awaitable<connect_result> connect(https_url const& target);
    // Keeps `stream` for reuse (or drops it when the upstream's idle list is full).
    void release(https_url const& target, std::unique_ptr<tls_stream> stream);
    // Closes every idle connection (shutdown).
    void clear();
    std::size_t idle_count() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace aic::net_tls
