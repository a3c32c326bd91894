// STUB: the lead replaces this file with the real daemon and token command.
#include "app/daemon.hpp"

#include <iostream>

namespace aic::app {

int run_daemon(config::config, std::function<config::config()>) {
    std::cerr << "aic-proxy: run: not implemented\n";
    return exit_failure;
}

int print_token(config::config const&, cli_options const&) {
    std::cerr << "aic-proxy: token: not implemented\n";
    return exit_failure;
}

}  // namespace aic::app
