// Exact relay: the request target byte for byte, request bodies of every method with their digest,
// conditional headers, and Expect: 100-continue the way curl uses it.
#include "echo.hpp"
#include "proxy_process.hpp"
#include "sim_process.hpp"
#include "stream_client.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace json = boost::json;
using namespace aic::test;

namespace {

std::string sha256_of(std::string const& s) {
    fwd::sha256 h;
    h.update(s.data(), s.size());
    return h.hex();
}

}  // namespace

TEST_CASE("percent-encoded paths and queries are relayed byte for byte") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const target = GENERATE(
        as<std::string>{}, "/openidm/managed/alpha_user?_queryFilter=userName%20eq%20%22a%2Bb%22&x=%C3%A9",
        "/openidm/managed/alpha_user?_queryFilter=userName+eq+%22x%22&_fields=*,_id",
        "/am/json/realms/root/realms/alpha/users?_queryId=*&a=%2f%2F&b=&c",
        "/openidm/managed/alpha_user/caf%C3%A9?q=%25%26%3D", "/openidm/endpoint/x?a=1&a=2&%5Bk%5D=v%7C");
    auto const echo = echo_of(client->request("GET", target));
    CHECK(echo.at("target").as_string() == target);
}

TEST_CASE("PUT, PATCH, POST and DELETE bodies and If-Match are relayed intact") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const method = GENERATE(as<std::string>{}, "PUT", "PATCH", "POST", "DELETE");

    std::string body = R"({"userName":"a+b","mail":"é@example.com","n":[)";
    for (int i = 0; i < 5000; ++i) body += std::to_string(i) + ",";
    body += "0]}";
    std::string binary;
    for (int i = 0; i < 70000; ++i) binary += static_cast<char>((i * 7) & 0xff);

    SECTION("JSON body") {
        auto const echo =
            echo_of(client->request(method, "/openidm/managed/alpha_user/42?_action=x",
                                    {{"Content-Type", "application/json"}, {"If-Match", "\"rev-7\""}}, body));
        CHECK(echo.at("method").as_string() == method);
        CHECK(echo.at("target").as_string() == "/openidm/managed/alpha_user/42?_action=x");
        CHECK(echo.at("body_bytes").as_int64() == static_cast<std::int64_t>(body.size()));
        CHECK(echo.at("body_sha256").as_string() == sha256_of(body));
        CHECK(header_or_empty(echo, "if-match") == "\"rev-7\"");
        CHECK(header_or_empty(echo, "content-type") == "application/json");
    }
    SECTION("binary body with every byte value, larger than the replay buffer") {
        auto const echo = echo_of(client->request(method, "/am/json/blob", {{"If-Match", "*"}}, binary));
        CHECK(echo.at("method").as_string() == method);
        CHECK(echo.at("body_bytes").as_int64() == static_cast<std::int64_t>(binary.size()));
        CHECK(echo.at("body_sha256").as_string() == sha256_of(binary));
        CHECK(header_or_empty(echo, "if-match") == "*");
    }
    SECTION("several bodies in sequence on one keep-alive connection") {
        for (int i = 0; i < 3; ++i) {
            auto const b = body + std::to_string(i);
            auto const echo = echo_of(client->request(method, "/openidm/seq", {{"If-None-Match", "*"}}, b));
            CHECK(echo.at("body_sha256").as_string() == sha256_of(b));
            CHECK(header_or_empty(echo, "if-none-match") == "*");
        }
        CHECK(client->connections_opened() == 1);
    }
}

TEST_CASE("a chunked request body is relayed with its digest") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    fwd::stream_client c{proxy.port()};
    c.send_all(
        "PUT /openidm/managed/alpha_user/7 HTTP/1.1\r\nHost: localhost\r\nIf-Match: \"3\"\r\n"
        "Transfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n");
    auto const digest = c.send_pattern_body(200000, true, 6912);
    auto const head = c.read_head();
    REQUIRE(head.status == 200);
    auto const echo = json::parse(c.read_body(head).text).as_object();
    CHECK(echo.at("method").as_string() == "PUT");
    CHECK(echo.at("body_bytes").as_int64() == 200000);
    CHECK(echo.at("body_sha256").as_string() == digest);
    CHECK(header_or_empty(echo, "if-match") == "\"3\"");
}

TEST_CASE("Expect: 100-continue gets an interim 100 before the body is sent, like curl") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    fwd::stream_client c{proxy.port()};
    c.send_all(
        "POST /openidm/managed/alpha_user?_action=create HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    // curl waits for the interim response (up to 1 s) before sending; here the wait is bounded by
    // the client's timeout and the test fails if no 100 comes.
    auto const interim = c.read_head();
    REQUIRE(interim.status == 100);
    auto const digest = c.send_pattern_body(5000, false);
    auto const head = c.read_head();
    REQUIRE(head.status == 200);
    auto const echo = json::parse(c.read_body(head).text).as_object();
    CHECK(echo.at("body_bytes").as_int64() == 5000);
    CHECK(echo.at("body_sha256").as_string() == digest);
    // The proxy consumed the expectation: upstream sees no Expect header it would answer again.
    CHECK(header_or_empty(echo, "expect").empty());
}

TEST_CASE("pipelined requests are answered in order") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    fwd::stream_client c{proxy.port()};
    c.send_all(
        "GET /openidm/one HTTP/1.1\r\nHost: localhost\r\n\r\n"
        "PUT /am/two HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
        "GET /iga/three HTTP/1.1\r\nHost: localhost\r\n\r\n");
    for (auto const* want : {"/openidm/one", "/am/two", "/iga/three"}) {
        auto const head = c.read_head();
        REQUIRE(head.status == 200);
        auto const echo = json::parse(c.read_body(head).text).as_object();
        CHECK(echo.at("target").as_string() == want);
    }
}
