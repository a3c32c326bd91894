// Slowloris and floods: a head that never completes is dropped after timeouts.header_read while
// normal clients keep being served; max_connections answers 503 JSON; max_requests_per_connection
// closes a connection after N requests.
#include "proxy_process.hpp"
#include "raw_connection.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <poll.h>

#include <memory>

namespace json = boost::json;
using namespace aic::test;
using namespace aic::test::hardening;

TEST_CASE("100 connections dribbling a head byte by byte are dropped while a normal client is served") {
    sim_process sim;
    auto config = demo_config(sim);
    config["timeouts"] = json::object{{"header_read_ms", 2000}};
    proxy_process proxy{sim.dir(), config};
    auto const before = sim.stats().resource_requests;

    // A head that never ends: a request line, then header lines for as long as the proxy listens.
    std::string head = "GET /openidm/slow HTTP/1.1\r\nHost: localhost\r\n";
    while (head.size() < 12000) head += "X-Slow-" + std::to_string(head.size()) + ": x\r\n";

    constexpr std::size_t dribblers = 100;
    std::vector<raw_connection> slow;
    std::vector<bool> closed(dribblers, false);
    std::vector<std::string> answered(dribblers);
    for (std::size_t i = 0; i < dribblers; ++i) {
        slow.push_back(raw_connection::tcp(proxy.port()));
        slow.back().send(head.substr(0, 1));
    }

    auto client = proxy.client(std::chrono::seconds{10});
    std::size_t served = 0;
    std::size_t open = dribblers;
    std::size_t pos = 1;
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    while (open > 0) {
        INFO("still open after 60 s: " << open);
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE(pos < head.size());  // the head must not complete: then the test would prove nothing
        // One more byte on every connection still open.
        for (std::size_t i = 0; i < dribblers; ++i)
            if (!closed[i]) slow[i].send(head.substr(pos, 1));
        ++pos;
        // A normal client, on its kept-alive connection and on a fresh one every tenth round.
        auto const res = client->request("GET", "/openidm/normal");
        REQUIRE(res.status == 200);
        ++served;
        if (served % 10 == 0) {
            auto fresh = proxy.client(std::chrono::seconds{10});
            REQUIRE(fresh->request("GET", "/openidm/fresh", {{"Connection", "close"}}).status == 200);
            ++served;
        }
        // Pace the dribble on socket events: wait (bounded) for the proxy to close one of them.
        std::vector<pollfd> fds;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < dribblers; ++i) {
            if (closed[i]) continue;
            fds.push_back(pollfd{slow[i].fd(), POLLIN, 0});
            index.push_back(i);
        }
        if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents == 0) continue;
            auto const i = index[k];
            if (slow[i].wait_closed(std::chrono::seconds{5}, &answered[i])) {
                closed[i] = true;
                --open;
            }
        }
    }
    // Dropped without an answer (a timed-out head gets none) and the normal client never failed.
    for (std::size_t i = 0; i < dribblers; ++i) CHECK(answered[i].empty());
    CHECK(served > 0);
    CHECK(sim.stats().resource_requests == before + served);
    CHECK(client->request("GET", "/openidm/after").status == 200);
}

TEST_CASE("an idle keep-alive connection is closed after timeouts.idle") {
    sim_process sim;
    auto config = demo_config(sim);
    config["timeouts"] = json::object{{"idle_ms", 500}};
    proxy_process proxy{sim.dir(), config};
    auto c = raw_connection::tcp(proxy.port());
    c.send("GET /_proxy/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    auto const first = c.read_responses(1);
    REQUIRE(parse_responses(first.bytes).size() == 1);
    CHECK_FALSE(first.closed);
    // Nothing more is sent: the proxy closes it (bounded wait: fails if it does not within 10 s).
    std::string more;
    CHECK(c.wait_closed(std::chrono::seconds{10}, &more));
    CHECK(more.empty());
}

TEST_CASE("over limits.max_connections a connection gets 503 JSON and is closed") {
    sim_process sim;
    auto config = demo_config(sim);
    config["limits"] = json::object{{"max_connections", 3}};
    proxy_process proxy{sim.dir(), config};
    auto const before = sim.stats().resource_requests;

    // Three kept-alive connections, each proven to be a session by an answered request.
    std::vector<std::unique_ptr<http_client>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(proxy.client());
        REQUIRE(held.back()->request("GET", "/_proxy/healthz").status == 200);
    }
    auto const out = raw_request(proxy.port(), get("/openidm/x"));
    REQUIRE(out.responses.size() == 1);
    check_refusal(out.responses[0], 503, "too_many_connections");
    CHECK(out.closed);
    CHECK(sim.stats().resource_requests == before);

    // The held connections are still served.
    for (auto& c : held) CHECK(c->request("GET", "/openidm/held").status == 200);
    CHECK(sim.stats().resource_requests == before + 3);

    // Once one goes away, a new connection is served again (bounded: the proxy notices the close
    // asynchronously, so refusals meanwhile are expected).
    held.front()->close();
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    unsigned status = 0;
    while (status != 200 && std::chrono::steady_clock::now() < deadline) {
        auto const again = raw_request(proxy.port(), get("/_proxy/healthz"));
        REQUIRE(again.responses.size() == 1);
        status = again.responses[0].status;
        if (status != 200) REQUIRE(status == 503);
    }
    CHECK(status == 200);
}

TEST_CASE("limits.max_requests_per_connection closes a connection after N requests") {
    sim_process sim;
    auto config = demo_config(sim);
    config["limits"] = json::object{{"max_requests_per_connection", 3}};
    proxy_process proxy{sim.dir(), config};
    auto const before = sim.stats().resource_requests;

    SECTION("a keep-alive client reconnects after the third answer") {
        auto client = proxy.client();
        for (int i = 0; i < 3; ++i) {
            auto const res = client->request("GET", "/openidm/x");
            REQUIRE(res.status == 200);
            CHECK(res.keep_alive == (i < 2));
        }
        CHECK(client->connections_opened() == 1);
        CHECK(client->request("GET", "/openidm/x").status == 200);
        CHECK(client->connections_opened() == 2);
        CHECK(sim.stats().resource_requests == before + 4);
    }
    SECTION("five pipelined requests get three answers, then the connection closes") {
        std::string five;
        for (int i = 0; i < 5; ++i)
            five += "GET /openidm/p" + std::to_string(i) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
        auto c = raw_connection::tcp(proxy.port());
        c.send(five);
        auto const r = c.read_until_close();
        CHECK(r.closed);
        auto const responses = parse_responses(r.bytes);
        REQUIRE(responses.size() == 3);
        for (auto const& res : responses) CHECK(res.status == 200);
        CHECK_FALSE(responses.back().keep_alive);
        CHECK(sim.stats().resource_requests == before + 3);
    }
}
