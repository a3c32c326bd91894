// A tenant simulator on loopback TLS (the test PKI) and the client pieces that talk to it:
// credentials as the config loader would build them, a TLS context trusting the test CA, and
// a way to run one coroutine to completion on a private io_context.
#pragma once

#include "auth/private_key.hpp"
#include "config/config.hpp"
#include "core/net.hpp"
#include "net/tls_context.hpp"
#include "tenant_sim.hpp"

#include <boost/asio/io_context.hpp>

#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

namespace aic::test {

inline std::string read_file(std::string const& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string pki(char const* name) {
    return std::string(AIC_TEST_PKI_DIR) + "/" + name;
}

inline constexpr char const* account_id = "3f0c5a1e-7b2d-4e8f-9a6c-1d2e3f4a5b6c";
inline constexpr char const* client_id = "iga-client";
inline constexpr char const* client_secret = "s3cr:t/+%&=\xc3\xa9";  // "s3cr:t/+%&=é"

struct sim_fixture {
    std::string private_jwk = sim::generate_rsa_key_jwk();
    std::unique_ptr<sim::tenant_sim> sim;
    std::shared_ptr<ssl::context> tls = net_tls::make_client_context(config::tls_settings{pki("ca.pem")});

    explicit sim_fixture(std::function<void(sim::options&)> adjust = {}) {
        sim::options o;
        o.cert_file = pki("localhost.pem");
        o.key_file = pki("localhost.key");
        o.service_accounts.push_back({account_id, sim::public_jwk_of(private_jwk), {"fr:am:*", "fr:idm:*"}});
        o.clients.push_back({client_id, client_secret, "alpha", {"fr:idm:*", "fr:iga:*"}});
        if (adjust) adjust(o);
        sim = std::make_unique<sim::tenant_sim>(o);
        sim->start();
    }

    https_url url(std::string const& path) const {
        return parse_https_url("https://localhost:" + std::to_string(sim->port()) + path).value();
    }

    config::credential service_account(std::string key_text = {}) const {
        config::credential c;
        c.name = "sa";
        c.type = config::credential_type::service_account;
        c.account_id = account_id;
        c.key_material = secret(key_text.empty() ? private_jwk : key_text);
        c.token_endpoint = url("/am/oauth2/access_token");
        return c;
    }

    config::credential client(config::client_auth_method method = config::client_auth_method::basic) const {
        config::credential c;
        c.name = "iga";
        c.type = config::credential_type::client_credentials;
        c.client_id = client_id;
        c.client_secret = secret(client_secret);
        c.auth_method = method;
        c.token_endpoint = url("/am/oauth2/realms/root/realms/alpha/access_token");
        return c;
    }
};

// Runs `task` on a fresh io_context until everything it started has finished.
template <class T>
T run(std::function<net::awaitable<T>()> task) {
    net::io_context ioc;
    std::optional<T> out;
    std::exception_ptr failure;
    net::co_spawn(
        ioc, [&]() -> net::awaitable<void> { out = co_await task(); },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
}

}  // namespace aic::test
