// /_proxy/metrics parsed as Prometheus text exposition (0.0.4) after known traffic: request
// counters by route/method/status class, a cumulative duration histogram, token gauges and
// active connections.
#include "ops_fixtures.hpp"
#include "prometheus_text.hpp"

#include <map>
#include <vector>

using namespace aic::test;
using namespace aic::test::ops;

TEST_CASE("metrics: Prometheus text with request counters, histogram, token gauges, connections") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();

    // Known traffic: 3 GET 2xx and 1 POST 2xx on /openidm (one of them slow), 1 GET 5xx on
    // /openidm (the tenant fails), 1 GET 2xx on /iga, 1 request on no route (404).
    for (int i = 0; i < 2; ++i) REQUIRE(client->request("GET", "/openidm/managed/alpha_user").status == 200);
    REQUIRE(client->request("GET", "/openidm/_sim/slow?ms=300").status == 200);
    REQUIRE(client->request("POST", "/openidm/managed/alpha_user?_action=create", {}, R"({"a":1})").status ==
            200);
    REQUIRE(client->request("GET", "/iga/governance/user").status == 200);
    REQUIRE(client->request("GET", "/no/such/route").status == 404);
    sim.set_resource_fault("500");
    REQUIRE(client->request("GET", "/openidm/managed/alpha_user").status == 500);
    sim.set_resource_fault("");

    // A second, idle client connection is open while the first one scrapes.
    auto idle = proxy.client();
    REQUIRE(idle->request("GET", "/_proxy/healthz").status == 200);

    auto const res = client->request("GET", "/_proxy/metrics");
    REQUIRE(res.status == 200);
    CHECK(res.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
    auto const m = parse(res.body);

    SECTION("request counters by route, method and status class") {
        CHECK(m.types.at("aic_proxy_requests_total") == "counter");
        CHECK(m.value("aic_proxy_requests_total",
                      {{"route", "/openidm"}, {"method", "GET"}, {"code", "2xx"}}) == 3);
        CHECK(m.value("aic_proxy_requests_total",
                      {{"route", "/openidm"}, {"method", "POST"}, {"code", "2xx"}}) == 1);
        CHECK(m.value("aic_proxy_requests_total",
                      {{"route", "/openidm"}, {"method", "GET"}, {"code", "5xx"}}) == 1);
        CHECK(m.value("aic_proxy_requests_total", {{"route", "/iga"}, {"method", "GET"}, {"code", "2xx"}}) ==
              1);
        CHECK(m.value("aic_proxy_requests_total", {{"route", "none"}, {"method", "GET"}, {"code", "4xx"}}) >=
              1);
        // Combinations that never happened are not exported.
        CHECK(m.find("aic_proxy_requests_total", {{"route", "/iga"}, {"code", "5xx"}}).empty());
        CHECK(m.value("aic_proxy_request_bytes_total", {{"route", "/openidm"}, {"direction", "in"}}) == 7);
        CHECK(m.value("aic_proxy_request_bytes_total", {{"route", "/openidm"}, {"direction", "out"}}) > 0);
    }

    SECTION("duration histogram: cumulative buckets, +Inf equals _count, the slow request above 0.25 s") {
        CHECK(m.types.at("aic_proxy_request_duration_seconds") == "histogram");
        auto const buckets = m.find("aic_proxy_request_duration_seconds_bucket", {{"route", "/openidm"}});
        REQUIRE(buckets.size() >= 2);
        double previous_le = -1, previous_count = 0;
        for (auto const& b : buckets) {
            double const le = parse_value(b.labels.at("le"));
            CHECK(le > previous_le);  // in increasing order of le
            CHECK(b.value >= previous_count);
            previous_le = le;
            previous_count = b.value;
        }
        CHECK(buckets.back().labels.at("le") == "+Inf");
        auto const count = m.value("aic_proxy_request_duration_seconds_count", {{"route", "/openidm"}});
        CHECK(count == 5);
        CHECK(buckets.back().value == count);
        // /_sim/slow?ms=300 took at least 0.3 s, so it is not in the 0.25 s bucket.
        CHECK(m.value("aic_proxy_request_duration_seconds_bucket", {{"route", "/openidm"}, {"le", "0.25"}}) <=
              count - 1);
        CHECK(m.value("aic_proxy_request_duration_seconds_sum", {{"route", "/openidm"}}) >= 0.3);
        // Every route has its histogram.
        CHECK(m.value("aic_proxy_request_duration_seconds_count", {{"route", "/iga"}}) == 1);
    }

    SECTION("token gauges per credential and scope set") {
        CHECK(m.types.at("aic_proxy_token_expiry_seconds") == "gauge");
        auto const expiry =
            m.find("aic_proxy_token_expiry_seconds", {{"credential", "sa"}, {"scopes", "fr:idm:*"}});
        REQUIRE(expiry.size() == 1);
        CHECK(expiry[0].value > 0);
        CHECK(expiry[0].value <= 899);
        CHECK(m.value("aic_proxy_token_fetches_total",
                      {{"credential", "sa"}, {"scopes", "fr:idm:*"}, {"result", "ok"}}) >= 1);
        CHECK(m.value("aic_proxy_token_fetches_total",
                      {{"credential", "sa"}, {"scopes", "fr:idm:*"}, {"result", "error"}}) == 0);
        CHECK(m.value("aic_proxy_token_refresh_failures_in_a_row",
                      {{"credential", "sa"}, {"scopes", "fr:idm:*"}}) == 0);
        CHECK(m.find("aic_proxy_token_expiry_seconds", {{"credential", "iga"}}).size() == 1);
        // The api_key credential (logs) has no token and so no token gauges.
        CHECK(m.find("aic_proxy_token_expiry_seconds", {{"credential", "logs"}}).empty());
    }

    SECTION("active connections and upstream counters") {
        CHECK(m.types.at("aic_proxy_active_connections") == "gauge");
        CHECK(m.value("aic_proxy_active_connections", {}) >= 2);  // the scraper and the idle client
        CHECK(m.value("aic_proxy_upstream_connections_opened_total", {}) >= 1);
        CHECK(m.value("aic_proxy_upstream_errors_total", {{"kind", "connect"}}) == 0);
        CHECK(m.value("aic_proxy_upstream_errors_total", {{"kind", "tls"}}) == 0);
    }

    SECTION("token fetch failures are counted and shown") {
        sim.set_token_fault("http_500");
        sim.revoke_all_tokens();
        // The revoked token earns a 401; the refetch fails, so the request gets the proxy's 503.
        CHECK(client->request("GET", "/openidm/managed/alpha_user").status != 200);
        REQUIRE(proxy.process().wait_for_line("token for sa [fr:idm:*] failed", log_wait));
        auto const after = parse(client->request("GET", "/_proxy/metrics").body);
        CHECK(after.value("aic_proxy_token_fetches_total",
                          {{"credential", "sa"}, {"scopes", "fr:idm:*"}, {"result", "error"}}) >= 1);
        CHECK(after.value("aic_proxy_token_refresh_failures_in_a_row",
                          {{"credential", "sa"}, {"scopes", "fr:idm:*"}}) >= 1);
    }
}
