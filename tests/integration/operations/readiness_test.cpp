// /_proxy/readyz follows the one credential's token: cold (token endpoint failing from the start)
// -> ready once a token is obtained -> not ready when the endpoint is down past the token's expiry.
// /_proxy/healthz stays 200 throughout. Every step waits on the proxy's own log lines.
#include "ops_fixtures.hpp"

using namespace aic::test;
using namespace aic::test::ops;

namespace {

json::object const& only_credential(local_answer const& a) {
    auto const& creds = a.doc.at("credentials").as_array();
    REQUIRE(creds.size() == 1);
    return creds[0].as_object();
}

}  // namespace

TEST_CASE("readyz: cold -> ready -> token endpoint down past expiry -> not ready") {
    sim_process sim;
    // Lifetime 6 s: refresh is due when 3 s remain (half the lifetime caps the margin).
    sim.set_expires_in(6);
    sim.set_token_fault("http_500");

    auto config = single_route_config(sim);
    // A hung token request is given up after 5 s: a refresh that starts with <= 3.3 s of validity
    // left therefore fails only after the token has expired, and that failure is the event the
    // last phase waits for.
    config["timeouts"] = json::object{{"token_request_ms", 5000}, {"token_wait_ms", 2000}};
    config["tokens"] = json::object{{"backoff_initial_ms", 200}, {"backoff_max_ms", 1000}};
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();

    {  // cold: no token has ever been obtained
        REQUIRE(log.wait_for_line("token for sa [fr:idm:*] failed: ", log_wait));
        CHECK(log.stderr_text().find("(HTTP 500)") != std::string::npos);
        auto const cold = readyz(proxy);
        CHECK(cold.status == 503);
        CHECK(cold.doc.at("ready").as_bool() == false);
        auto const& c = only_credential(cold);
        CHECK(c.at("credential").as_string() == "sa");
        CHECK(c.at("scopes").as_string() == "fr:idm:*");
        CHECK(c.at("state").as_string() != "valid");
        CHECK(c.at("ready").as_bool() == false);
        CHECK(c.contains("last_error"));
        // Liveness is not readiness.
        CHECK(proxy.client()->request("GET", "/_proxy/healthz").status == 200);
        // With no token, a request is answered 503 naming the credential, not forwarded.
        auto const refused = proxy.client()->request("GET", "/openidm/managed/alpha_user");
        CHECK(refused.status == 503);
        auto const error = json::parse(refused.body).as_object();
        CHECK(error.at("error").as_string() == "no_token");
        CHECK(std::string{error.at("detail").as_string()}.find("credential \"sa\"") != std::string::npos);
    }

    std::string token;
    {  // ready: the fault is cleared and the retry obtains a token
        sim.set_token_fault("none");
        REQUIRE(log.wait_for_line("token for sa [fr:idm:*] obtained; valid 6 s", log_wait));
        auto const ready = readyz(proxy);
        CHECK(ready.status == 200);
        CHECK(ready.doc.at("ready").as_bool() == true);
        auto const& c = only_credential(ready);
        CHECK(c.at("state").as_string() == "valid");
        CHECK(c.at("ready").as_bool() == true);
        CHECK(c.at("expires_in_s").to_number<std::int64_t>() <= 6);
        CHECK_FALSE(c.contains("last_error"));

        auto const res = proxy.client()->request("GET", "/openidm/managed/alpha_user");
        REQUIRE(res.status == 200);
        token = bearer_seen(res);
        REQUIRE(token.size() >= 16);
        // The body describes the token; it never contains it.
        CHECK(readyz(proxy).body.find(token) == std::string::npos);
        CHECK(proxy.client()->request("GET", "/_proxy/metrics").body.find(token) == std::string::npos);
    }

    {  // not ready: the token endpoint is down past the token's expiry
        sim.set_token_fault("hang");
        // The refresh hangs until token_request_ms; by then the 6 s token has expired. Only a
        // timed-out fetch logs "HTTP 0" (the cold-phase failures were HTTP 500).
        REQUIRE(
            log.wait_for_regex(std::regex{R"(token for sa \[fr:idm:\*\] failed: .*\(HTTP 0\))"}, log_wait));
        auto const down = readyz(proxy);
        CHECK(down.status == 503);
        CHECK(down.doc.at("ready").as_bool() == false);
        auto const& c = only_credential(down);
        CHECK(c.at("state").as_string() == "failing");
        CHECK(c.at("ready").as_bool() == false);
        CHECK(c.at("expires_in_s").to_number<std::int64_t>() <= 0);
        CHECK(c.contains("last_error"));
        CHECK(down.body.find(token) == std::string::npos);
        CHECK(proxy.client()->request("GET", "/_proxy/healthz").status == 200);
        // Fail closed: the expired token is not sent; the request gets the proxy's 503.
        auto const stats_before = sim.stats();
        auto const refused = proxy.client()->request("GET", "/openidm/managed/alpha_user");
        CHECK(refused.status == 503);
        CHECK(sim.stats().resource_requests == stats_before.resource_requests);
    }
}

TEST_CASE(
    "readyz with the built-in routes: scopes the account lacks are not_granted, the rest make it ready") {
    sim_process sim;
    auto config = demo_config(sim);  // no "routes": the built-in AIC table
    REQUIRE_FALSE(config.contains("routes"));
    // A typical real account: created with the AM and IDM scopes only.
    sim.set_service_account_scopes(account_id(config), "fr:am:* fr:idm:*");
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();

    REQUIRE(log.wait_for_line("token for sa [fr:idm:*] obtained", log_wait));
    REQUIRE(log.wait_for_line("token for sa [fr:am:*] obtained", log_wait));
    REQUIRE(log.wait_for_line("token for iga [fr:idm:* fr:iga:*] obtained", log_wait));
    for (auto const* scope :
         {"fr:idc:esv:*", "fr:idc:certificate:*", "fr:idc:custom-domain:*", "fr:idc:cookie-domain:*",
          "fr:idc:content-security-policy:*", "fr:idc:promotion:*", "fr:idc:release:*", "fr:idc:sso-cookie:*",
          "fr:idc:proxy-connect:*", "fr:idc:ws:admin"}) {
        INFO(scope);
        REQUIRE(
            log.wait_for_line(std::string{"token for sa ["} + scope + "] failed: invalid_scope", log_wait));
    }

    auto const ready = readyz(proxy);
    CHECK(ready.status == 200);
    CHECK(ready.doc.at("ready").as_bool());
    std::size_t not_granted = 0;
    for (auto const& c : ready.doc.at("credentials").as_array()) {
        auto const& entry = c.as_object();
        if (entry.at("state").as_string() == "not_granted") {
            ++not_granted;
            CHECK(entry.at("ready").as_bool() == false);
            CHECK(entry.at("required").as_bool() == false);
            CHECK(entry.at("last_error").as_string() == "invalid_scope");
        } else {
            CHECK(entry.at("ready").as_bool());
        }
    }
    CHECK(not_granted == 10);

    // The granted routes serve; a route whose scope is missing says why.
    auto client = proxy.client();
    CHECK(client->request("GET", "/openidm/managed/alpha_user").status == 200);
    auto const esv = client->request("GET", "/environment/secrets");
    CHECK(esv.status == 503);
    CHECK(esv.body.find("invalid_scope") != std::string::npos);
    CHECK(esv.body.find("fr:idc:esv:*") != std::string::npos);
}

TEST_CASE("readyz with routes from the config: a scope the account lacks keeps the proxy not ready") {
    sim_process sim;
    auto config = single_route_config(sim);
    config["routes"].as_array().push_back(json::object{
        {"prefix", "/environment/secrets"}, {"credential", "sa"}, {"scopes", json::array{"fr:idc:esv:*"}}});
    sim.set_service_account_scopes(account_id(config), "fr:idm:*");
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();
    REQUIRE(log.wait_for_line("token for sa [fr:idm:*] obtained", log_wait));
    REQUIRE(log.wait_for_line("token for sa [fr:idc:esv:*] failed: invalid_scope", log_wait));
    auto const r = readyz(proxy);
    CHECK(r.status == 503);
    CHECK(r.doc.at("ready").as_bool() == false);
    CHECK(r.body.find("not_granted") == std::string::npos);  // asked for explicitly: required
}
