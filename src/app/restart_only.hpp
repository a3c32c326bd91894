// The settings a SIGHUP cannot change. The server takes `listen`, `threads`, the timeouts and the
// limits once, at start (server_settings_of), and the upstream TLS context is built once from
// `tls`, so a reload keeps their running values and warns about each one it ignored. Three
// timeouts are read afresh and do reload: token_request_ms and token_wait_ms (by the
// authenticators a reload builds anew) and drain_ms (read from the running config at SIGTERM).
#pragma once

#include "config/config.hpp"

#include <string>
#include <vector>

namespace aic::app {

// The JSON path, as the config file spells it ("listen", "tls.ca_file", "limits.max_body_bytes"),
// of every restart-only setting whose value in `next` differs from its value in `running`.
// Empty when a reload can take `next` whole.
std::vector<std::string> restart_only_changes(config::config const& running, config::config const& next);

// Gives `next` the running values of the restart-only settings, so that the config a reload
// installs describes what actually runs, and the authenticators it builds use the same connect
// timeouts as the server.
void keep_restart_only_settings(config::config const& running, config::config& next);

}  // namespace aic::app
