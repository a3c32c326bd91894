// Building authenticators and the routing table from a config (see wiring.hpp).
#include "app/wiring.hpp"

#include "auth/factory.hpp"

namespace aic::app {

wiring wire(net::any_io_executor ex, ssl::context& tls, config::config const& cfg,
            ops::metrics_registry& metrics) {
    wiring w;
    auto table = std::make_shared<proxy::routing_table>();
    for (auto const& route : cfg.routes) {
        auto const& credential = cfg.credentials.at(route.credential);  // the loader checked the name
        authenticator_key key{route.credential, route.scopes};
        auto& slot = w.authenticators[key];
        if (!slot)
            slot = auth::make_authenticator(ex, tls, credential, route.scopes, cfg.tokens, cfg.timeouts);
        table->routes.push_back(proxy::route_binding{route, route.upstream.value_or(cfg.tenant), slot});
        table->routes.back().metrics_slot = metrics.route_slot(route.prefix);
    }
    w.routes = std::move(table);
    w.scopes_optional = cfg.builtin_routes;
    return w;
}

std::vector<std::string> route_labels(config::config const& cfg) {
    std::vector<std::string> labels;
    labels.reserve(cfg.routes.size());
    for (auto const& r : cfg.routes) labels.push_back(r.prefix);
    return labels;
}

proxy::server_settings server_settings_of(config::config const& cfg) {
    return proxy::server_settings{cfg.listen, cfg.timeouts, cfg.limits, cfg.security, cfg.threads};
}

}  // namespace aic::app
