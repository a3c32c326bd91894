// `aic-proxy token` (see token_command.hpp).
#include "app/token_command.hpp"

#include "auth/factory.hpp"
#include "net/tls_context.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

#include <boost/asio/detached.hpp>

namespace aic::app {
namespace {

struct selection {
    std::string credential;
    std::vector<std::string> scopes;
};

std::optional<selection> select(config::config const& cfg, token_request const& request, std::ostream& err) {
    if (!request.route.empty()) {
        auto it = std::find_if(cfg.routes.begin(), cfg.routes.end(),
                               [&](config::route const& r) { return r.prefix == request.route; });
        if (it == cfg.routes.end()) {
            err << "aic-proxy token: no route with prefix " << request.route << "; routes:";
            for (auto const& r : cfg.routes) err << ' ' << r.prefix;
            err << '\n';
            return std::nullopt;
        }
        return selection{it->credential, it->scopes};
    }
    if (!cfg.credentials.contains(request.credential)) {
        err << "aic-proxy token: no credential named " << request.credential << '\n';
        return std::nullopt;
    }
    auto scopes = request.scopes;
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    return selection{request.credential, std::move(scopes)};
}

}  // namespace

int print_token(config::config const& cfg, token_request const& request, std::ostream& out,
                std::ostream& err) {
    auto const chosen = select(cfg, request, err);
    if (!chosen) return 1;
    auto const& credential = cfg.credentials.at(chosen->credential);
    if (credential.type == config::credential_type::api_key) {
        err << "aic-proxy token: credential " << chosen->credential << " is an API key, not a token source\n";
        return 1;
    }

    net::io_context ioc{1};
    auto tls = net_tls::make_client_context(cfg.tls);
    auto authenticator = auth::make_authenticator(ioc.get_executor(), *tls, credential, chosen->scopes,
                                                  cfg.tokens, cfg.timeouts);
    authenticator->start();

    std::optional<auth::grant_result> outcome;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            outcome = co_await authenticator->acquire();
            authenticator->stop();
        },
        net::detached);
    ioc.run();

    if (!outcome || !outcome->has_value()) {
        err << "aic-proxy token: no token for credential " << chosen->credential;
        if (outcome) err << ' ' << auth::describe_failure(outcome->error());
        err << '\n';
        return 1;
    }
    out << (*outcome)->token->value.reveal() << '\n';
    return 0;
}

}  // namespace aic::app
