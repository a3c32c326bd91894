// Prometheus metrics: counters the proxy records on its hot path (lock-free, no allocation),
// rendered as text on /_proxy/metrics together with token gauges supplied at scrape time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aic::ops {

// A point-in-time view of one credential's token, supplied by the app when rendering.
struct token_gauge {
    std::string credential;
    std::string scopes;            // space-separated
    double seconds_to_expiry = 0;  // <= 0 when no valid token
    std::uint64_t fetches_ok = 0;
    std::uint64_t fetches_failed = 0;
    std::uint64_t consecutive_failures = 0;
    std::uint64_t requests_waited = 0;
};

class metrics_registry {
public:
    static constexpr std::size_t no_route = static_cast<std::size_t>(-1);

    // `routes`: the route prefixes at start; the index of each is its slot, what request_done()
    // takes. `loops`: the server's event loops, whose accepted connections are counted apart.
    explicit metrics_registry(std::vector<std::string> routes, std::size_t loops = 1);

    // The slot that counts requests for `prefix`: its own since start, or a new one when a reload
    // brought a prefix this registry has not seen (so a reload that adds, drops or reorders routes
    // never counts one route's requests under another's label). Past max_added_routes new
    // prefixes, no_route. Call from the event loop that renders, as the labels live there.
    std::size_t route_slot(std::string_view prefix);
    static constexpr std::size_t max_added_routes = 64;
    ~metrics_registry();
    metrics_registry(metrics_registry const&) = delete;
    metrics_registry& operator=(metrics_registry const&) = delete;

    void request_done(std::size_t route_index, std::string_view method, unsigned status,
                      std::chrono::nanoseconds duration, std::uint64_t bytes_in, std::uint64_t bytes_out);
    void upstream_error(std::string_view kind);  // "connect", "tls", "timeout", "io"
    void upstream_connection_opened(bool resumed_tls_session);
    void connection_opened(std::size_t loop = 0);
    void connection_closed();

    std::string render(std::vector<token_gauge> const& tokens) const;

private:
    struct impl;
    impl* impl_;
};

}  // namespace aic::ops
