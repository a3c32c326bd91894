// The reserved /_proxy/ endpoints: healthz (alive), readyz (every credential holds a valid
// token), metrics (Prometheus text). Bodies never contain token values.
#pragma once

#include "app/wiring.hpp"
#include "ops/metrics.hpp"
#include "proxy/server.hpp"

#include <functional>

namespace aic::app {

// `current` returns the authenticators in force now (they change on reload).
proxy::local_handler make_local_handler(std::function<authenticator_set const&()> current,
                                        ops::metrics_registry const& metrics);

// The readiness document and whether every credential is ready (exposed for tests).
std::pair<bool, std::string> readiness(authenticator_set const& authenticators);

std::vector<ops::token_gauge> token_gauges(authenticator_set const& authenticators);

}  // namespace aic::app
