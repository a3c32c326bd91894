// Building the running objects from a config: one authenticator per (credential, scope set),
// the routing table that binds prefixes to them, and the metrics route labels.
#pragma once

#include "auth/authenticator.hpp"
#include "config/config.hpp"
#include "core/net.hpp"
#include "proxy/server.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aic::app {

// Authenticators keyed by (credential, sorted scopes): routes that ask the same credential for
// the same scopes share one token.
using authenticator_key = std::pair<std::string, std::vector<std::string>>;
using authenticator_set = std::map<authenticator_key, std::shared_ptr<auth::authenticator>>;

struct wiring {
    authenticator_set authenticators;
    std::shared_ptr<proxy::routing_table const> routes;
    // Built-in routes: the operator did not ask for them one by one, so a scope the service
    // account was not created with (invalid_scope) leaves those routes unavailable but does not
    // hold readiness back. Routes from the config are all required.
    bool scopes_optional = false;
};

// Throws std::runtime_error (naming the credential) when a key cannot be loaded. Each route gets
// its slot in `metrics` by prefix.
wiring wire(net::any_io_executor ex, ssl::context& tls, config::config const& cfg,
            ops::metrics_registry& metrics);

std::vector<std::string> route_labels(config::config const& cfg);

proxy::server_settings server_settings_of(config::config const& cfg);

}  // namespace aic::app
