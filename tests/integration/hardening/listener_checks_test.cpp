// Host and Origin checks (DNS rebinding, cross-site browser requests) and the anti-SSRF switches:
// refused with the proxy's JSON, never forwarded.
#include "proxy_process.hpp"
#include "raw_connection.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace json = boost::json;
using namespace aic::test;
using namespace aic::test::hardening;

TEST_CASE("a Host outside the allowed local names is refused with 403 and not forwarded") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto const before = sim.stats().resource_requests;

    // Well-formed names that are simply not local ones (RFC 9110 §7.2: uri-host [":" port]).
    for (std::string host :
         {"evil.example.com", "evil.example.com:8080", "localhost.evil.example.com", "localhost.",
          "127.0.0.2", "[::2]", "[::2]:8080", "169.254.169.254", "evil.example.com:65535"}) {
        INFO("Host: " << host);
        auto const out = raw_request(proxy.port(), get("/openidm/managed/alpha_user", {}, host));
        REQUIRE(out.responses.size() == 1);
        check_refusal(out.responses[0], 403, "forbidden");
    }
    CHECK(sim.stats().resource_requests == before);

    for (std::string host :
         std::vector<std::string>{"localhost", "LOCALHOST", "localhost:8080", "localhost:1", "127.0.0.1",
                                  "127.0.0.1:" + std::to_string(proxy.port()), "[::1]", "[::1]:65535"}) {
        INFO("Host: " << host);
        auto const out = raw_request(proxy.port(), get("/openidm/managed/alpha_user", {}, host));
        REQUIRE(out.responses.size() == 1);
        CHECK(out.responses[0].status == 200);
    }
    CHECK(sim.stats().resource_requests == before + 8);
}

TEST_CASE("a malformed Host is refused with 400, the connection closed, nothing forwarded") {
    // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request whose Host has an invalid
    // field value; a 403 would say the value was understood and refused.
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto const before = sim.stats().resource_requests;

    std::vector<std::string> const malformed = {
        // the port: not digits, out of range, empty
        "localhost:abc", "localhost:99999", "localhost:123456", "localhost:80a", "localhost:-1", "localhost:",
        // the name: empty, or bytes a host name cannot hold
        "", ":8080", "a b", "user@localhost", "localhost/x", "localhost?x", "local%zzhost", "localhost\\x",
        "\"localhost\"", "local\xc3\xa9host",
        // IP literals: unclosed, trailing bytes, empty, not an address, unbracketed
        "[::1", "[::1]x", "[::1]:", "[]", "[evil]", "::1"};
    for (auto const& host : malformed) {
        INFO("Host: " << host);
        auto const out = raw_request(proxy.port(), get("/openidm/managed/alpha_user", {}, host));
        REQUIRE(out.responses.size() == 1);
        check_refusal(out.responses[0], 400, "bad_request");
        CHECK(out.closed);
    }
    // The same on HTTP/1.0, which may leave Host out but not send a broken one.
    auto const old =
        raw_request(proxy.port(), "GET /openidm/managed/alpha_user HTTP/1.0\r\nHost: localhost:abc\r\n\r\n");
    REQUIRE(old.responses.size() == 1);
    check_refusal(old.responses[0], 400, "bad_request");
    CHECK(sim.stats().resource_requests == before);
}

TEST_CASE("configured allowed_hosts replace the defaults") {
    sim_process sim;
    auto config = demo_config(sim);
    config["security"] = json::object{{"allowed_hosts", json::array{"proxy.internal"}}};
    proxy_process proxy{sim.dir(), config};
    auto const before = sim.stats().resource_requests;

    auto const refused = raw_request(proxy.port(), get("/openidm/x", {}, "localhost:8080"));
    REQUIRE(refused.responses.size() == 1);
    check_refusal(refused.responses[0], 403, "forbidden");
    CHECK(sim.stats().resource_requests == before);

    auto const ok = raw_request(proxy.port(), get("/openidm/x", {}, "Proxy.Internal:9000"));
    REQUIRE(ok.responses.size() == 1);
    CHECK(ok.responses[0].status == 200);
    CHECK(sim.stats().resource_requests == before + 1);
}

TEST_CASE("an HTTP/1.1 request without Host, or with two, is refused with 400 and the connection closed") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto const before = sim.stats().resource_requests;

    auto const none = raw_request(proxy.port(), "GET /openidm/x HTTP/1.1\r\n\r\n");
    REQUIRE(none.responses.size() == 1);
    check_refusal(none.responses[0], 400, "bad_request");
    CHECK(none.closed);

    auto const two = raw_request(
        proxy.port(), "GET /openidm/x HTTP/1.1\r\nHost: localhost\r\nHost: evil.example.com\r\n\r\n");
    REQUIRE(two.responses.size() == 1);
    check_refusal(two.responses[0], 400, "bad_request");
    CHECK(two.closed);

    // HTTP/1.0 has no Host requirement; the route still applies.
    auto const old = raw_request(proxy.port(), "GET /openidm/x HTTP/1.0\r\n\r\n");
    REQUIRE(old.responses.size() == 1);
    CHECK(old.responses[0].status == 200);
    CHECK(sim.stats().resource_requests == before + 1);
}

TEST_CASE("an Origin header not explicitly allowed is refused with 403, an allowed one passes") {
    sim_process sim;
    auto config = demo_config(sim);
    config["security"] = json::object{{"allowed_origins", json::array{"http://localhost:3000"}}};
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;

    for (std::string origin : {"https://evil.example.com", "http://localhost:3001", "http://localhost",
                               "null", "HTTP://LOCALHOST:3000", "http://localhost:3000/"}) {
        INFO("Origin: " << origin);
        auto const res = raw_request(proxy.port(), get("/openidm/x", "Origin: " + origin + "\r\n"));
        REQUIRE(res.responses.size() == 1);
        check_refusal(res.responses[0], 403, "forbidden");
    }
    // A browser preflight is refused like the request it announces.
    auto const preflight = client->request(
        "OPTIONS", "/openidm/x",
        {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "DELETE"}});
    check_refusal(preflight, 403, "forbidden");
    // Two Origin headers, one allowed: still refused.
    auto const two = client->request(
        "GET", "/openidm/x", {{"Origin", "http://localhost:3000"}, {"Origin", "https://evil.example.com"}});
    check_refusal(two, 403, "forbidden");
    CHECK(sim.stats().resource_requests == before);

    auto const ok = client->request("GET", "/openidm/x", {{"Origin", "http://localhost:3000"}});
    CHECK(ok.status == 200);
    CHECK(sim.stats().resource_requests == before + 1);
}

TEST_CASE("with no allowed_origins every Origin is refused") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;
    check_refusal(client->request("GET", "/openidm/x", {{"Origin", "http://localhost:3000"}}), 403,
                  "forbidden");
    check_refusal(
        client->request("POST", "/am/json/realms/root/authenticate", {{"Origin", "http://localhost"}}, "{}"),
        403, "forbidden");
    CHECK(sim.stats().resource_requests == before);
    CHECK(client->request("GET", "/openidm/x").status == 200);
}

TEST_CASE("anti-SSRF switches: a required header and refusing forwarded requests") {
    sim_process sim;
    auto config = demo_config(sim);
    config["security"] =
        json::object{{"required_header", json::object{{"name", "X-AIC-Proxy"}, {"value", "1"}}},
                     {"refuse_forwarded", true}};
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;

    check_refusal(client->request("GET", "/openidm/x"), 403, "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-AIC-Proxy", "0"}}), 403, "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-AIC-Proxy", "1"}, {"X-AIC-Proxy", "1"}}), 403,
                  "forbidden");
    check_refusal(
        client->request("GET", "/openidm/x", {{"X-AIC-Proxy", "1"}, {"X-Forwarded-For", "10.0.0.1"}}), 403,
        "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-AIC-Proxy", "1"}, {"Forwarded", "for=10.0.0.1"}}),
                  403, "forbidden");
    CHECK(sim.stats().resource_requests == before);

    auto const ok = client->request("GET", "/openidm/x", {{"X-AIC-Proxy", "1"}});
    CHECK(ok.status == 200);
    CHECK(sim.stats().resource_requests == before + 1);
}
