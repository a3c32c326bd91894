// Routing and credential injection: every built-in prefix reaches the simulator with its own
// credential and scopes, the client's own credentials never reach upstream, HTTP/1.0 and HEAD.
#include "echo.hpp"
#include "proxy_process.hpp"
#include "sim_process.hpp"
#include "stream_client.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>

namespace json = boost::json;
using namespace aic::test;

namespace {

std::string sa_account_id(sim_process& sim) {
    std::ifstream in{sim.dir() / "demo.json"};
    std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    return std::string{json::parse(text).at("credentials").at("sa").at("account_id").as_string()};
}

}  // namespace

TEST_CASE("each prefix reaches the tenant with its own credential and scopes") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const sa = sa_account_id(sim);

    struct expectation {
        std::string target;
        std::string credential;
        json::array scopes;
    };
    std::vector<expectation> const cases{
        {"/openidm/managed/alpha_user?_queryFilter=true", sa, {"fr:idm:*"}},
        {"/am/json/realms/root/realms/alpha/users", sa, {"fr:am:*"}},
        {"/iga/governance/user", "iga-demo", {"fr:iga:*", "fr:idm:*"}},
        {"/environment/variables/esv-x", sa, {"fr:idc:esv:*"}},
    };
    for (auto const& c : cases) {
        SECTION(c.target) {
            auto const echo = echo_of(client->request("GET", c.target));
            CHECK(echo.at("target").as_string() == c.target);
            CHECK(echo.at("credential").as_string() == c.credential);
            // The simulator echoes the token's granted scopes; compare them as a set.
            std::vector<std::string> got, want;
            for (auto const& s : echo.at("scopes").as_array()) got.emplace_back(s.as_string());
            for (auto const& s : c.scopes) want.emplace_back(s.as_string());
            std::sort(got.begin(), got.end());
            std::sort(want.begin(), want.end());
            CHECK(got == want);
            CHECK(header_or_empty(echo, "authorization").rfind("Bearer ", 0) == 0);
            CHECK(header_or_empty(echo, "x-api-key").empty());
        }
    }
    SECTION("/monitoring uses the API key headers and no Authorization") {
        auto const echo = echo_of(client->request("GET", "/monitoring/logs/sources"));
        CHECK(echo.at("credential").as_string() == "logs-demo");
        CHECK(echo.at("scopes").as_array().empty());
        CHECK(header_or_empty(echo, "x-api-key") == "logs-demo");
        CHECK_FALSE(header_or_empty(echo, "x-api-secret").empty());
        CHECK(echo.at("headers").as_object().if_contains("authorization") == nullptr);
    }
}

TEST_CASE("each route's token is distinct: /am and /openidm tokens are not shared") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const idm = echo_of(client->request("GET", "/openidm/config"));
    auto const am = echo_of(client->request("GET", "/am/json/serverinfo"));
    CHECK(header_or_empty(idm, "authorization") != header_or_empty(am, "authorization"));
}

TEST_CASE("the client's Authorization and Cookie never reach upstream") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    header_list const sneaky{{"Authorization", "Bearer client-supplied-token"},
                             {"Cookie", "iPlanetDirectoryPro=client-session; other=1"},
                             {"X-Request-Id", "req-fwd-test-1"}};

    SECTION("a Bearer route") {
        auto const echo = echo_of(client->request("GET", "/openidm/managed/alpha_user", sneaky));
        auto const auth = header_or_empty(echo, "authorization");
        CHECK(auth.rfind("Bearer ", 0) == 0);
        CHECK(auth.find("client-supplied-token") == std::string::npos);
        CHECK(echo.at("headers").as_object().if_contains("cookie") == nullptr);
        // Exactly one Authorization header: the echo joins repeated headers with ", ".
        CHECK(auth.find(',') == std::string::npos);
        CHECK(header_or_empty(echo, "x-request-id") == "req-fwd-test-1");
        CHECK(header_or_empty(echo, "host") == "localhost:" + std::to_string(sim.port()));
        CHECK_FALSE(header_or_empty(echo, "x-forwarded-for").empty());
    }
    SECTION("an API-key route") {
        auto const echo = echo_of(client->request("GET", "/monitoring/logs", sneaky));
        CHECK(echo.at("headers").as_object().if_contains("authorization") == nullptr);
        CHECK(echo.at("headers").as_object().if_contains("cookie") == nullptr);
        CHECK(header_or_empty(echo, "x-api-key") == "logs-demo");
    }
    SECTION("a client-supplied X-API-Key is replaced on an API-key route") {
        auto const echo = echo_of(client->request(
            "GET", "/monitoring/logs", {{"X-API-Key", "client-key"}, {"X-API-Secret", "client-secret"}}));
        CHECK(header_or_empty(echo, "x-api-key") == "logs-demo");
        CHECK(header_or_empty(echo, "x-api-secret") != "client-secret");
    }
}

TEST_CASE("an HTTP/1.0 client gets its response and the connection is closed") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    fwd::stream_client c{proxy.port()};
    c.send_all("GET /openidm/managed/alpha_user?_queryFilter=true HTTP/1.0\r\nHost: localhost\r\n\r\n");
    auto const head = c.read_head();
    CHECK(head.status == 200);
    CHECK_FALSE(head.chunked());  // HTTP/1.0 has no chunked encoding
    auto const body = c.read_body(head);
    auto const echo = json::parse(body.text).as_object();
    CHECK(echo.at("target").as_string() == "/openidm/managed/alpha_user?_queryFilter=true");
    CHECK(c.closed_by_peer());
    CHECK(c.pending().empty());
}

TEST_CASE("HTTP/1.0 download of a chunked upstream body is delimited by close") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    fwd::stream_client c{proxy.port()};
    c.send_all("GET /openidm/_sim/bytes?n=300000&chunked=1 HTTP/1.0\r\nHost: localhost\r\n\r\n");
    auto const head = c.read_head();
    REQUIRE(head.status == 200);
    CHECK_FALSE(head.chunked());
    auto const body = c.read_body(head);
    CHECK(body.bytes == 300000);
    CHECK(body.sha256_hex == fwd::pattern_sha256(300000));
}

TEST_CASE("HEAD gets the upstream's head and no body, and the connection stays usable") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    fwd::stream_client c{proxy.port()};
    c.send_all("HEAD /openidm/_sim/bytes?n=100000 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    auto const head = c.read_head();
    CHECK(head.status == 200);
    CHECK(head.field("content-length") == "100000");
    c.read_body(head, true);
    // If any body bytes had followed the HEAD response they would be read as the next status line.
    c.send_all("GET /openidm/after-head HTTP/1.1\r\nHost: localhost\r\n\r\n");
    auto const next = c.read_head();
    REQUIRE(next.status == 200);
    auto const echo = json::parse(c.read_body(next).text).as_object();
    CHECK(echo.at("target").as_string() == "/openidm/after-head");
}
