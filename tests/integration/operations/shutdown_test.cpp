// SIGTERM/SIGINT drain: the listener closes at once, a request in flight finishes, idle keep-alive
// connections do not hold the exit up, and the drain timeout bounds how long a slow one may take.
#include "ops_fixtures.hpp"

#include <csignal>
#include <future>

using namespace aic::test;
using namespace aic::test::ops;

namespace {

// Bounded: returns once the simulator has counted more than `before` resource requests. The
// simulator has no push event for "a request arrived", so its counter is polled; each poll is a
// TLS round trip, and the loop fails the test after 30 s.
void wait_until_sim_received(sim_process& sim, std::uint64_t before) {
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (sim.stats().resource_requests <= before) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
    }
}

}  // namespace

TEST_CASE("SIGTERM: an in-flight slow request completes, new connections are refused, exit 0") {
    sim_process sim;
    auto config = single_route_config(sim);
    config["timeouts"] = json::object{{"drain_ms", 30000}};
    proxy_process proxy{sim.dir(), config};
    auto const port = proxy.port();
    // Warm the token so the slow request's only wait is the simulator's.
    REQUIRE(proxy.client()->request("GET", "/openidm/managed/alpha_user").status == 200);

    auto const before = sim.stats().resource_requests;
    auto in_flight = std::async(std::launch::async, [&proxy] {
        return proxy.client(std::chrono::seconds{60})->request("GET", "/openidm/_sim/slow?ms=1500");
    });
    wait_until_sim_received(sim, before);

    proxy.process().terminate();
    REQUIRE(proxy.process().wait_for_line("received SIGTERM, draining", log_wait));
    // The proxy closes its listeners before it writes that line.
    CHECK(gets_no_answer(port));

    auto const res = in_flight.get();
    CHECK(res.status == 200);
    CHECK(json::parse(res.body).at("target").as_string() == "/openidm/_sim/slow?ms=1500");

    auto const code = proxy.process().wait_for(std::chrono::seconds{60});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    auto const log = proxy.process().stderr_text();
    CHECK(log.find("stopped") != std::string::npos);
    // The slow request was answered after the signal: it really was drained, not finished before.
    auto const signalled = log.find("received SIGTERM");
    auto const answered = log.find("\"GET /openidm/_sim/slow\" 200");
    REQUIRE(answered != std::string::npos);
    CHECK(answered > signalled);
    CHECK(log.find("drain time over") == std::string::npos);
}

TEST_CASE("SIGINT with only idle keep-alive connections exits 0 without waiting for them") {
    sim_process sim;
    auto config = single_route_config(sim);
    // Far beyond the bounded wait below: only closing idle connections at once can pass.
    config["timeouts"] = json::object{{"drain_ms", 600000}};
    proxy_process proxy{sim.dir(), config};
    auto idle = proxy.client();
    REQUIRE(idle->request("GET", "/openidm/managed/alpha_user").status == 200);
    REQUIRE(idle->request("GET", "/_proxy/healthz").status == 200);

    ::kill(proxy.process().pid(), SIGINT);
    REQUIRE(proxy.process().wait_for_line("received SIGINT, draining", log_wait));
    auto const code = proxy.process().wait_for(std::chrono::seconds{60});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(proxy.process().stderr_text().find("drain time over") == std::string::npos);
}

TEST_CASE("SIGTERM: the drain timeout ends a request that takes longer, still exit 0") {
    sim_process sim;
    auto config = single_route_config(sim);
    config["timeouts"] = json::object{{"drain_ms", 200}};
    proxy_process proxy{sim.dir(), config};
    REQUIRE(proxy.client()->request("GET", "/openidm/managed/alpha_user").status == 200);

    auto const before = sim.stats().resource_requests;
    auto in_flight = std::async(std::launch::async, [&proxy] {
        // The simulator would answer after 10 minutes; the drain ends it long before.
        try {
            return proxy.client(std::chrono::seconds{120})
                ->request("GET", "/openidm/_sim/slow?ms=600000")
                .status;
        } catch (std::exception const&) {
            return 0u;  // connection closed without a response
        }
    });
    wait_until_sim_received(sim, before);

    proxy.process().terminate();
    REQUIRE(proxy.process().wait_for_line("drain time over: closing 1 connection(s)", log_wait));
    CHECK(in_flight.get() != 200u);
    auto const code = proxy.process().wait_for(std::chrono::seconds{60});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}
