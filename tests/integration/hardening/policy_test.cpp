// Policy: per-route method allow-lists (405 with Allow), the global read-only switch, and the
// client key (X-Proxy-Key against a secret file) that never reaches the upstream.
#include "proxy_process.hpp"
#include "raw_connection.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>

namespace json = boost::json;
using namespace aic::test;
using namespace aic::test::hardening;

namespace {

json::object openidm_route_allowing(json::array methods) {
    return json::object{{"prefix", "/openidm"},
                        {"credential", "sa"},
                        {"scopes", json::array{"fr:idm:*"}},
                        {"methods", std::move(methods)}};
}

}  // namespace

TEST_CASE("a route's methods allow-list refuses other methods with 405 and an Allow header") {
    sim_process sim;
    auto config = demo_config(sim);
    config["routes"] = json::array{
        openidm_route_allowing(json::array{"get", "HEAD"}),
        json::object{{"prefix", "/am"}, {"credential", "sa"}, {"scopes", json::array{"fr:am:*"}}},
    };
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;

    for (std::string method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "PROPFIND"}) {
        INFO(method);
        auto const res = client->request(method, "/openidm/managed/user/1", {}, method == "get" ? "" : "{}");
        check_refusal(res, 405, "method_not_allowed");
        CHECK(res.header("allow") == "GET, HEAD");
    }
    CHECK(sim.stats().resource_requests == before);

    CHECK(client->request("GET", "/openidm/managed/user/1").status == 200);
    CHECK(client->request("HEAD", "/openidm/managed/user/1").status == 200);
    // A route without a list allows every method.
    CHECK(client->request("DELETE", "/am/json/realms/root/users/1").status == 200);
    CHECK(sim.stats().resource_requests == before + 3);

    // A refusal on a route is counted under that route, not as a request that matched none.
    auto const metrics = client->request("GET", "/_proxy/metrics").body;
    CHECK(metrics.find("aic_proxy_requests_total{route=\"/openidm\",method=\"POST\",code=\"4xx\"} 1\n") !=
          std::string::npos);
    CHECK(metrics.find("aic_proxy_requests_total{route=\"/openidm\",method=\"DELETE\",code=\"4xx\"} 1\n") !=
          std::string::npos);
    CHECK(metrics.find("aic_proxy_requests_total{route=\"/am\",method=\"DELETE\",code=\"2xx\"} 1\n") !=
          std::string::npos);
    CHECK(metrics.find("route=\"none\"") == std::string::npos);
}

TEST_CASE("a refused HEAD request gets the refusal's head alone, and the connection stays in step") {
    sim_process sim;
    auto config = demo_config(sim);
    config["routes"] = json::array{openidm_route_allowing(json::array{"POST"})};
    proxy_process proxy{sim.dir(), config};
    auto const before = sim.stats().resource_requests;

    struct refused_head {
        std::string target;
        std::string headers;
        std::string status_line;
    };
    for (auto const& c : {refused_head{"/nope", "", "HTTP/1.1 404 "},
                          refused_head{"/openidm/x", "Origin: https://evil.example\r\n", "HTTP/1.1 403 "},
                          refused_head{"/openidm/x", "", "HTTP/1.1 405 "}}) {
        INFO(c.status_line << c.target);
        auto const out = head_then_healthz(proxy.port(), c.target, c.headers);
        CHECK(out.head.starts_with(c.status_line));
        // The length the GET's JSON body would have, as RFC 9110 §9.3.2 allows; no body follows.
        CHECK(out.head.find("\r\nContent-Length: 0\r\n") == std::string::npos);
        CHECK(out.head.find("\r\nContent-Length: ") != std::string::npos);
        CHECK(out.after.starts_with("HTTP/1.1 200 "));
    }
    CHECK(sim.stats().resource_requests == before);
}

TEST_CASE("the tenant's token endpoints, TRACE and cross-site navigations are refused and never relayed") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    REQUIRE(client->request("GET", "/openidm/warm").status == 200);  // the tokens are fetched by now
    auto const before = sim.stats();

    // tokeninfo would answer with the route's own token; the token endpoint would mint new ones.
    check_refusal(client->request("GET", "/am/oauth2/tokeninfo"), 403, "forbidden");
    check_refusal(client->request("GET", "/am/oauth2/realms/root/realms/alpha/tokeninfo"), 403, "forbidden");
    check_refusal(client->request("POST", "/am/oauth2/realms/root/realms/alpha/access_token", {},
                                  "grant_type=client_credentials"),
                  403, "forbidden");
    check_refusal(client->request("POST", "/am/oauth2/access_token", {}, "grant_type=client_credentials"),
                  403, "forbidden");
    check_refusal(client->request("TRACE", "/openidm/managed/alpha_user"), 405, "method_not_allowed");
    check_refusal(client->request("GET", "/openidm/managed/alpha_user", {{"Sec-Fetch-Site", "cross-site"}}),
                  403, "forbidden");
    auto const after = sim.stats();
    CHECK(after.resource_requests == before.resource_requests);
    CHECK(after.token_requests == before.token_requests);

    // The rest of /am/oauth2 is relayed as before.
    CHECK(client->request("GET", "/am/oauth2/.well-known/openid-configuration").status == 200);
}

TEST_CASE("the /_proxy/ endpoints answer GET and HEAD only") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    for (std::string method : {"POST", "DELETE", "PUT"}) {
        INFO(method);
        auto const res = client->request(method, "/_proxy/healthz", {}, "{}");
        check_refusal(res, 405, "method_not_allowed");
        CHECK(res.header("allow") == "GET, HEAD");
    }
    CHECK(client->request("GET", "/_proxy/healthz").status == 200);
    CHECK(client->request("HEAD", "/_proxy/healthz").status == 200);
}

TEST_CASE("read_only allows only GET, HEAD and OPTIONS") {
    sim_process sim;
    auto config = demo_config(sim);
    config["security"] = json::object{{"read_only", true}};
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;

    for (std::string method : {"POST", "PUT", "PATCH", "DELETE", "PROPPATCH"}) {
        INFO(method);
        check_refusal(client->request(method, "/openidm/managed/user/1", {}, "{}"), 403, "forbidden");
    }
    // Also on a route no one would think of writing to, and with the body still unread.
    check_refusal(client->request("POST", "/environment/secrets/esv-x", {}, std::string(100000, 'x')), 403,
                  "forbidden");
    CHECK(sim.stats().resource_requests == before);

    for (std::string method : {"GET", "HEAD", "OPTIONS"}) {
        INFO(method);
        CHECK(client->request(method, "/openidm/managed/user/1").status == 200);
    }
    CHECK(sim.stats().resource_requests == before + 3);
}

TEST_CASE("a client key is required when configured and never reaches the upstream") {
    sim_process sim;
    std::string const key = "k3y-0f-the-l0cal-cl1ents-9c1f7e";
    auto const key_file = sim.dir() / "client.key";
    {
        std::ofstream out{key_file};
        out << key << "\n";  // trailing newline is trimmed
    }
    auto config = demo_config(sim);
    config["security"] = json::object{{"client_key_file", key_file.string()}};
    proxy_process proxy{sim.dir(), config};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;

    check_refusal(client->request("GET", "/openidm/x"), 403, "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-Proxy-Key", "wrong"}}), 403, "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-Proxy-Key", key.substr(0, key.size() - 1)}}), 403,
                  "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-Proxy-Key", key + "x"}}), 403, "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"X-Proxy-Key", key}, {"X-Proxy-Key", key}}), 403,
                  "forbidden");
    check_refusal(client->request("GET", "/openidm/x", {{"x-proxy-key", ""}}), 403, "forbidden");
    // The proxy's own endpoints are behind the key too.
    check_refusal(client->request("GET", "/_proxy/metrics"), 403, "forbidden");
    CHECK(sim.stats().resource_requests == before);

    auto const ok = client->request("GET", "/openidm/x", {{"x-proxy-key", key}});
    REQUIRE(ok.status == 200);
    auto const echo = json::parse(ok.body).as_object();
    auto const& headers = echo.at("headers").as_object();
    for (auto const& [name, value] : headers) {
        INFO(name << ": " << value);
        std::string lowered{name};
        for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        CHECK(lowered != "x-proxy-key");
        CHECK(json::serialize(value).find(key) == std::string::npos);
    }
    CHECK(ok.body.find(key) == std::string::npos);
    CHECK(sim.stats().resource_requests == before + 1);

    // Neither the refusals nor the access log wrote the key.
    CHECK(proxy.process().stdout_text().find(key) == std::string::npos);
    CHECK(proxy.process().stderr_text().find(key) == std::string::npos);
}
