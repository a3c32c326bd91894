// threads > 1: the event loops share the listening port (the kernel spreads connections among
// them) and the token caches (which live on the first loop). Many clients at once are all served,
// by more than one loop, with one token fetch per credential; the local endpoints answer on every
// loop; a SIGHUP reload reaches every loop; SIGTERM drains them all and exits 0.
#include "ops_fixtures.hpp"

#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

using namespace aic::test;
using namespace aic::test::ops;

namespace {

constexpr int loop_count = 4;

// aic_proxy_connections_accepted_total{loop="N"} from a metrics text, by loop.
std::map<std::string, double> accepted_by_loop(std::string const& text) {
    std::map<std::string, double> out;
    std::istringstream lines{text};
    std::string const prefix = "aic_proxy_connections_accepted_total{loop=\"";
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        auto const close = line.find("\"}", prefix.size());
        REQUIRE(close != std::string::npos);
        out[line.substr(prefix.size(), close - prefix.size())] = std::stod(line.substr(close + 3));
    }
    return out;
}

// Sends `requests` requests on each of `clients` connections at once; returns the bodies of the
// 200 answers (Catch2 assertions stay on the test's thread).
std::vector<std::string> load(proxy_process& proxy, int clients, int requests, std::string const& target) {
    std::mutex mu;
    std::vector<std::string> bodies;
    {
        std::vector<std::jthread> threads;
        for (int c = 0; c < clients; ++c) {
            threads.emplace_back([&] {
                auto client = proxy.client();
                for (int i = 0; i < requests; ++i) {
                    auto const res = client->request("GET", target);
                    std::lock_guard lock{mu};
                    if (res.status == 200) bodies.push_back(res.body);
                }
            });
        }
    }
    return bodies;
}

}  // namespace

TEST_CASE(
    "threads = 4: clients are spread over the loops, share one token, reload and drain reach every loop") {
    sim_process sim;
    auto config = single_route_config(sim);
    config["threads"] = loop_count;
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();

    constexpr int clients = 16;
    constexpr int per_client = 20;
    auto const bodies = load(proxy, clients, per_client, "/openidm/managed/alpha_user");
    REQUIRE(bodies.size() == clients * per_client);
    std::string first_token;
    for (auto const& body : bodies) {
        auto const echo = json::parse(body).as_object();
        std::string const auth{echo.at("headers").at("authorization").as_string()};
        if (first_token.empty()) first_token = auth;
        CHECK(auth == first_token);
    }
    CHECK(sim.stats().token_requests == 1);  // fetched once at start, shared by every loop

    // The local endpoints answer on whichever loop took the connection (readyz reads the token
    // caches, which live on the first loop).
    for (int i = 0; i < 8; ++i) {
        auto const ready = readyz(proxy);
        CHECK(ready.status == 200);
    }
    auto const metrics = proxy.client()->request("GET", "/_proxy/metrics");
    REQUIRE(metrics.status == 200);
    auto const accepted = accepted_by_loop(metrics.body);
    REQUIRE(accepted.size() == loop_count);
    double total = 0;
    int loops_used = 0;
    for (auto const& [loop, n] : accepted) {
        total += n;
        if (n > 0) ++loops_used;
    }
    CHECK(total >= clients + 8 + 1);
    CHECK(loops_used >= 2);  // SO_REUSEPORT spreads 25 connections by address hash
    CHECK(metrics.body.find("aic_proxy_requests_total{route=\"/openidm\",method=\"GET\",code=\"2xx\"} 320") !=
          std::string::npos);

    // A reload adds a route on every loop: new connections, whichever loop takes them, see it.
    reload_with_am_route(proxy, config);
    auto const am = load(proxy, 8, 1, "/am/json/realms/root/realms/alpha/users");
    CHECK(am.size() == 8);

    proxy.process().terminate();
    auto const code = proxy.process().wait_for(std::chrono::seconds{60});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(log.stderr_text().find("stopped") != std::string::npos);
}
