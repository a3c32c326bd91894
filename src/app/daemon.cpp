// The daemon and the token command behind main()'s dispatch (see daemon.hpp).
#include "app/daemon.hpp"

#include "app/runtime.hpp"
#include "app/token_command.hpp"
#include "ops/logging.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace aic::app {

int run_daemon(config::config cfg, std::function<config::config()> reload) {
    ops::setup_logging(cfg.logging);
    try {
        runtime daemon{std::move(cfg), std::move(reload)};
        return daemon.run();
    } catch (std::exception const& e) {
        // Start-up failures (a listener that cannot bind, a key that does not load) end the process.
        spdlog::critical("cannot start: {}", e.what());
        return exit_failure;
    }
}

int print_token(config::config const& cfg, cli_options const& options) {
    // stdout carries the token alone, so scripts can use $(aic-proxy token ...): logs go to
    // stderr, and only warnings and errors (the command reports its own outcome).
    auto quiet = cfg.logging;
    if (quiet.level == "trace" || quiet.level == "debug" || quiet.level == "info") quiet.level = "warn";
    quiet.access_log = false;
    ops::setup_logging(quiet);
    return print_token(cfg, token_request{options.route, options.credential, options.scopes}, std::cout,
                       std::cerr);
}

}  // namespace aic::app
