// What main() dispatches to after the config is loaded: the daemon and the token command.
// Both return a process exit code (cli.hpp) and report failures on stderr.
#pragma once

#include "app/cli.hpp"
#include "config/config.hpp"

#include <functional>

namespace aic::app {

// Runs until SIGTERM/SIGINT. `reload` re-reads the same source on SIGHUP (throws config_error).
int run_daemon(config::config cfg, std::function<config::config()> reload);

// Prints one access token for options.route, or for options.credential + options.scopes.
int print_token(config::config const& cfg, cli_options const& options);

}  // namespace aic::app
