// The running daemon: listeners, authenticators, signals (TERM/INT drain, HUP reload) and
// sd_notify, on one io_context (the server's first event loop; `threads` adds more). Failures to start throw;
// run() returns the exit code.
#pragma once

#include "app/wiring.hpp"
#include "config/config.hpp"
#include "core/net.hpp"
#include "ops/metrics.hpp"
#include "proxy/server.hpp"

#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <functional>
#include <memory>

namespace aic::app {

class runtime {
public:
    // `reload` produces the new config on SIGHUP (throws config_error on a bad one).
    runtime(config::config cfg, std::function<config::config()> reload);
    ~runtime();

    int run();  // until SIGTERM/SIGINT; 0 after a clean drain

private:
    net::awaitable<void> handle_signals();
    net::awaitable<void> reload();

    net::io_context ioc_{one_thread_per_loop};
    // Registered at construction, before any listener exists: a SIGTERM that arrives while the
    // daemon starts is queued for the drain, never the default action (death without clean-up).
    net::signal_set signals_{ioc_, SIGTERM, SIGINT, SIGHUP};
    config::config cfg_;
    std::function<config::config()> reload_;
    std::shared_ptr<ssl::context> tls_;
    wiring wiring_;
    std::unique_ptr<ops::metrics_registry> metrics_;
    std::unique_ptr<proxy::server> server_;
};

}  // namespace aic::app
