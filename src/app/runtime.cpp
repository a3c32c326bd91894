// The daemon's lifecycle (see runtime.hpp).
#include "app/runtime.hpp"

#include "app/local_endpoints.hpp"
#include "app/restart_only.hpp"
#include "net/tls_context.hpp"
#include "ops/logging.hpp"
#include "ops/sd_notify.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

namespace aic::app {

runtime::runtime(config::config cfg, std::function<config::config()> reload)
    : cfg_(std::move(cfg)), reload_(std::move(reload)) {
    tls_ = net_tls::make_client_context(cfg_.tls);
    metrics_ = std::make_unique<ops::metrics_registry>(route_labels(cfg_), cfg_.threads);
    wiring_ = wire(ioc_.get_executor(), *tls_, cfg_, *metrics_);
    auto local = make_local_handler([this]() -> wiring const& { return wiring_; }, *metrics_);
    server_ = std::make_unique<proxy::server>(ioc_.get_executor(), server_settings_of(cfg_), wiring_.routes,
                                              *tls_, *metrics_, std::move(local));
}

runtime::~runtime() = default;

int runtime::run() {
    server_->start();  // throws naming the address when a listener cannot bind
    for (auto const& [key, authenticator] : wiring_.authenticators) authenticator->start();
    // Tests and operators read the bound port from this line (the config may say port 0).
    for (auto const& ep : server_->tcp_endpoints()) {
        auto const address = ep.address();
        spdlog::info("listening on {}{}{}:{}", address.is_v6() ? "[" : "", address.to_string(),
                     address.is_v6() ? "]" : "", ep.port());
    }
    for (auto const& l : cfg_.listen)
        if (l.type == config::listen_address::kind::unix_socket) spdlog::info("listening on unix:{}", l.path);
    spdlog::info("aic-proxy ready: {} routes, {} credentials, tenant {}", cfg_.routes.size(),
                 cfg_.credentials.size(), cfg_.tenant.text());
    ops::sd_notify("READY=1");

    int exit_code = 0;
    net::co_spawn(ioc_, handle_signals(), [&](std::exception_ptr e) {
        if (e) {
            exit_code = 1;
            try {
                std::rethrow_exception(e);
            } catch (std::exception const& ex) {
                spdlog::critical("fatal: {}", ex.what());
            }
        }
        ioc_.stop();
    });
    ioc_.run();
    return exit_code;
}

net::awaitable<void> runtime::handle_signals() {
    for (;;) {
        int const signal = co_await signals_.async_wait(use_throw);
        if (signal == SIGHUP) {
            co_await reload();
            continue;
        }
        // Closed before the log line, so that "draining" in the log means a connect is refused.
        co_await server_->stop_accepting();
        spdlog::info("received {}, draining for up to {} ms", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                     cfg_.timeouts.drain.count());
        ops::sd_notify("STOPPING=1");
        co_await server_->shutdown(cfg_.timeouts.drain);
        for (auto const& [key, authenticator] : wiring_.authenticators) authenticator->stop();
        spdlog::info("stopped");
        co_return;
    }
}

// SIGHUP: re-read the config and the key/secret files. New requests use new credentials and
// routes; requests in flight finish with what they started with. A bad config changes nothing.
// The restart-only settings (restart_only.hpp) keep their running values, each change named in
// a warning, so that cfg_ always describes what runs.
net::awaitable<void> runtime::reload() {
    // systemd (Type=notify-reload, and the sd_notify(3) protocol since v253) wants the reload's
    // start time with RELOADING=1.
    ops::sd_notify(ops::sd_reloading_state());
    try {
        auto next = reload_();
        auto const ignored = restart_only_changes(cfg_, next);
        keep_restart_only_settings(cfg_, next);
        auto next_wiring = wire(ioc_.get_executor(), *tls_, next, *metrics_);
        for (auto const& [key, authenticator] : next_wiring.authenticators) authenticator->start();
        co_await server_->update(next_wiring.routes, next.security);
        // Old authenticators stop refreshing; requests still holding them keep their grant.
        for (auto const& [key, authenticator] : wiring_.authenticators) authenticator->stop();
        wiring_ = std::move(next_wiring);
        cfg_ = std::move(next);
        // Warned before the new logging settings apply: a new level of "error" must not hide them.
        for (auto const& path : ignored)
            spdlog::warn("reload: {} changed; that takes a restart and is ignored", path);
        ops::setup_logging(cfg_.logging);  // level, format and access log may have changed
        spdlog::info("reload: configuration and credentials reloaded ({} routes)", cfg_.routes.size());
    } catch (std::exception const& e) {
        spdlog::error("reload refused, the running configuration stays: {}", e.what());
    }
    ops::sd_notify("READY=1");
}

}  // namespace aic::app
