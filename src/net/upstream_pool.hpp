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
};

struct pooled_connection {
    std::unique_ptr<tls_stream> stream;
    bool reused = false;  // came from the idle list: the upstream may have closed it meanwhile
};

using pool_result = boost::system::result<pooled_connection, connect_failure>;

class upstream_pool {
public:
    upstream_pool(net::any_io_executor ex, ssl::context& tls, pool_settings settings);
    ~upstream_pool();
    upstream_pool(upstream_pool const&) = delete;
    upstream_pool& operator=(upstream_pool const&) = delete;

    // An idle connection to target's host:port when one is alive (unless `fresh_only`), else a
    // new verified one.
    net::awaitable<pool_result> acquire(https_url target, bool fresh_only);
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
