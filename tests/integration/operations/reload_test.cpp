// SIGHUP: a rotated service-account key is picked up (the simulator accepts only the new key), and
// a broken new config or key is refused with an error while the old configuration keeps serving.
// Client connections stay open across reloads. A setting that takes a restart (a listen address,
// a limit) is named in a warning and keeps its running value.
#include "ops_fixtures.hpp"

#include "tenant_sim.hpp"

using namespace aic::test;
using namespace aic::test::ops;

namespace {

constexpr auto reloaded = "reload: configuration and credentials reloaded";
constexpr auto refused = "reload refused, the running configuration stays";

std::size_t occurrences(std::string const& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("SIGHUP with a rotated key: new tokens come from the new key, the old key is refused") {
    sim_process sim;
    auto config = single_route_config(sim);
    auto const key_file = sim.dir() / "rotating-sa.jwk";
    write_text(key_file, read_text(sim.dir() / "sa.jwk"));
    config["credentials"].as_object()["sa"].as_object()["key_file"] = key_file.string();
    config["timeouts"] = json::object{{"token_wait_ms", 3000}};
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();

    auto client = proxy.client();  // one keep-alive connection across the reload
    auto const first = client->request("GET", "/openidm/managed/alpha_user");
    REQUIRE(first.status == 200);
    auto const old_token = bearer_seen(first);

    // Rotate: the new private key goes to the key file, the tenant trusts only its public half,
    // and every token issued so far is revoked.
    auto const new_key = aic::sim::generate_rsa_key_jwk(2048);
    CHECK_THROWS(sim.set_service_account_key(account_id(config), "not a JWK"));  // the simulator checks it
    write_text(key_file, new_key);
    sim.set_service_account_key(account_id(config), aic::sim::public_jwk_of(new_key));
    sim.revoke_all_tokens();

    // Before the reload the proxy still signs with the old key, which the tenant now refuses.
    auto const before_reload = client->request("GET", "/openidm/managed/alpha_user");
    CHECK(before_reload.status != 200);
    REQUIRE(log.wait_for_line("JWT signature does not verify", log_wait));

    auto const issued_before = sim.stats().tokens_issued;
    proxy.reload();
    REQUIRE(log.wait_for_line(reloaded, log_wait));
    auto const after = client->request("GET", "/openidm/managed/alpha_user");
    REQUIRE(after.status == 200);
    auto const new_token = bearer_seen(after);
    CHECK(new_token != old_token);
    CHECK(json::parse(after.body).at("credential").as_string() == account_id(config));
    CHECK(sim.stats().tokens_issued == issued_before + 1);
    CHECK(client->connections_opened() == 1);  // the reload dropped no connection
    CHECK(readyz(proxy).status == 200);
}

TEST_CASE("SIGHUP with a broken config or key: error logged, the old config keeps serving") {
    sim_process sim;
    auto config = single_route_config(sim);
    auto const key_file = sim.dir() / "reload-sa.jwk";
    write_text(key_file, read_text(sim.dir() / "sa.jwk"));
    config["credentials"].as_object()["sa"].as_object()["key_file"] = key_file.string();
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();
    auto client = proxy.client();
    auto const first = client->request("GET", "/openidm/managed/alpha_user");
    REQUIRE(first.status == 200);
    auto const token = bearer_seen(first);
    auto const issued = sim.stats().tokens_issued;

    SECTION("not JSON") {
        std::ofstream{proxy.config_path(), std::ios::trunc} << "{ \"listen\": [ broken";
    }
    SECTION("an unknown key, in a config that would also add a route") {
        auto next = config;
        next["routes"].as_array().push_back(
            json::object{{"prefix", "/am"}, {"credential", "sa"}, {"scopes", json::array{"fr:am:*"}}});
        next["no_such_setting"] = true;
        proxy.rewrite_config(next);
    }
    SECTION("a key file that is not a key") {
        write_text(key_file, "this is not a JWK or a PEM key\n");
    }
    proxy.reload();
    auto const line = log.wait_for_line(refused, log_wait);
    REQUIRE(line);
    CHECK(line->find("error") != std::string::npos);
    CHECK(log.stderr_text().find(reloaded) == std::string::npos);

    // Same routes, same credential, same token, same connection.
    auto const after = client->request("GET", "/openidm/managed/alpha_user");
    REQUIRE(after.status == 200);
    CHECK(bearer_seen(after) == token);
    CHECK(sim.stats().tokens_issued == issued);
    CHECK(client->request("GET", "/am/json/realms/root/realms/alpha/users").status == 404);
    CHECK(client->connections_opened() == 1);
    CHECK(readyz(proxy).status == 200);
}

TEST_CASE("SIGHUP with a valid new config: a new route serves, open connections stay") {
    sim_process sim;
    auto config = single_route_config(sim);
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    REQUIRE(client->request("GET", "/openidm/managed/alpha_user").status == 200);
    REQUIRE(client->request("GET", "/am/json/realms/root/realms/alpha/users").status == 404);

    reload_with_am_route(proxy, config);

    auto const am = client->request("GET", "/am/json/realms/root/realms/alpha/users");
    REQUIRE(am.status == 200);
    CHECK(json::parse(am.body).at("scopes").as_array() == json::array{"fr:am:*"});
    CHECK(client->request("GET", "/openidm/managed/alpha_user").status == 200);
    CHECK(client->connections_opened() == 1);
}

TEST_CASE("SIGHUP with a new listen port and body limit: each named in a warning, neither applied") {
    sim_process sim;
    auto config = single_route_config(sim);  // listens on 127.0.0.1:0, no body limit
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();
    auto client = proxy.client();
    REQUIRE(client->request("GET", "/openidm/managed/alpha_user").status == 200);

    auto next = config;
    next["listen"] = json::array{"127.0.0.1:8082"};  // as many addresses as before
    next["limits"] = json::object{{"max_body_bytes", 16}};
    proxy.rewrite_config(next);
    proxy.reload();
    REQUIRE(log.wait_for_line("reload: listen changed; that takes a restart and is ignored", log_wait));
    REQUIRE(log.wait_for_line("reload: limits.max_body_bytes changed; that takes a restart and is ignored",
                              log_wait));
    REQUIRE(log.wait_for_line(reloaded, log_wait));
    CHECK(occurrences(log.stderr_text(), "takes a restart") == 2);

    // The old port still answers, on a new connection as on the open one, and a body over the
    // ignored limit still goes through.
    auto const body = std::string(100, 'x');
    auto const fresh = proxy.client()->request("POST", "/openidm/managed/alpha_user", {}, body);
    REQUIRE(fresh.status == 200);
    CHECK(json::parse(fresh.body).at("body_bytes").as_int64() == 100);
    CHECK(client->request("GET", "/openidm/managed/alpha_user").status == 200);
    CHECK(client->connections_opened() == 1);
}

TEST_CASE(
    "SIGHUP that puts a new route first: each route's requests are still counted under its own prefix") {
    sim_process sim;
    auto config = single_route_config(sim);
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    REQUIRE(client->request("GET", "/openidm/managed/alpha_user").status == 200);

    auto next = config;
    json::array routes{
        json::object{{"prefix", "/am"}, {"credential", "sa"}, {"scopes", json::array{"fr:am:*"}}}};
    for (auto const& r : config["routes"].as_array()) routes.push_back(r);
    next["routes"] = std::move(routes);
    proxy.rewrite_config(next);
    proxy.reload();
    REQUIRE(
        proxy.process().wait_for_line("reload: configuration and credentials reloaded (2 routes)", log_wait));

    REQUIRE(client->request("GET", "/openidm/managed/alpha_user").status == 200);
    REQUIRE(client->request("GET", "/am/json/serverinfo").status == 200);
    REQUIRE(client->request("GET", "/am/json/serverinfo").status == 200);
    auto const metrics = client->request("GET", "/_proxy/metrics").body;
    INFO(metrics);
    CHECK(metrics.find("aic_proxy_requests_total{route=\"/openidm\",method=\"GET\",code=\"2xx\"} 2\n") !=
          std::string::npos);
    CHECK(metrics.find("aic_proxy_requests_total{route=\"/am\",method=\"GET\",code=\"2xx\"} 2\n") !=
          std::string::npos);
    CHECK(metrics.find("route=\"none\"") == std::string::npos);
}

TEST_CASE("SIGHUP that also raises the log level to error still shows the restart-only warnings") {
    sim_process sim;
    auto config = single_route_config(sim);
    proxy_process proxy{sim.dir(), config};
    auto next = config;
    next["logging"] = json::object{{"level", "error"}};
    next["limits"] = json::object{{"max_body_bytes", 16}};
    proxy.rewrite_config(next);
    proxy.reload();
    // Logged under the running level, before the new one applies.
    REQUIRE(proxy.process().wait_for_line(
        "reload: limits.max_body_bytes changed; that takes a restart and is ignored", log_wait));
    CHECK(proxy.client()->request("GET", "/openidm/managed/alpha_user").status == 200);
}
