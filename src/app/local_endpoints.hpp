// The reserved /_proxy/ endpoints: healthz (alive), readyz (every credential holds a valid
// token), metrics (Prometheus text). Bodies never contain token values.
#pragma once

#include "app/wiring.hpp"
#include "ops/metrics.hpp"
#include "proxy/server.hpp"

#include <functional>

namespace aic::app {

// `current` returns the wiring in force now (it changes on reload).
proxy::local_handler make_local_handler(std::function<wiring const&()> current,
                                        ops::metrics_registry const& metrics);

// The readiness document and whether the proxy is ready: every required credential holds a valid
// token (with optional scopes, those the account lacks are listed as "not_granted" and skipped,
// but at least one token must be valid).
std::pair<bool, std::string> readiness(wiring const& current);

std::vector<ops::token_gauge> token_gauges(authenticator_set const& authenticators);

}  // namespace aic::app
