// Path safety: routing is decided on the normalised path, so dot-segments, encoded separators,
// backslashes, control bytes, raw bytes outside ASCII and foreign absolute-form targets are refused
// with 400, and no request can carry one route's token to another route's API.
#include "proxy_process.hpp"
#include "raw_connection.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>

namespace json = boost::json;
using namespace aic::test;
using namespace aic::test::hardening;

namespace {

struct path_case {
    std::string name;
    std::string target;
};

std::vector<path_case> const unsafe_targets = {
    {"raw dot-dot", "/openidm/../am/json/users"},
    {"raw dot", "/openidm/./managed/user"},
    {"trailing dot-dot", "/openidm/managed/.."},
    {"encoded dot-dot lower", "/openidm/%2e%2e/am/json"},
    {"encoded dot-dot upper", "/openidm/%2E%2E/am/json"},
    {"encoded dot-dot mixed case", "/openidm/%2e%2E/am/json"},
    {"half-encoded dot-dot", "/openidm/.%2e/am/json"},
    {"encoded single dot", "/openidm/%2e/managed"},
    {"dot-dot with matrix parameter", "/openidm/..;x=1/am/json"},
    {"encoded slash lower", "/openidm/managed%2fuser"},
    {"encoded slash upper", "/openidm/managed%2Fuser"},
    {"encoded backslash", "/openidm/managed%5cuser"},
    {"encoded backslash upper", "/openidm/managed%5Cuser"},
    {"backslash", "/openidm\\..\\am"},
    {"backslash alone", "/openidm/managed\\user"},
    {"double-encoded dot", "/openidm/%252e%252e/am"},
    {"double-encoded slash", "/openidm/a%252fb"},
    {"encoded NUL", "/openidm/managed%00user"},
    {"encoded control byte", "/openidm/managed%0auser"},
    {"encoded DEL", "/openidm/managed%7fuser"},
    {"malformed escape", "/openidm/managed%zzuser"},
    {"truncated escape", "/openidm/managed%2"},
    {"empty segment", "/environment//secrets"},
    {"protocol-relative", "//evil.example.com/openidm"},
    {"absolute-form to a foreign host", "http://evil.example.com/openidm/managed/user"},
    {"absolute-form https to the tenant name", "https://tenant.example.com/openidm/x"},
    {"absolute-form with userinfo", "http://localhost@evil.example.com/openidm/x"},
    {"absolute-form local name with userinfo", "http://user@localhost/openidm/x"},
    {"authority-form", "evil.example.com:443"},
    {"asterisk-form on GET", "*"},
    {"relative path", "openidm/x"},
    {"fragment", "/openidm/x#frag"},
};

// Raw bytes the request line cannot carry past the HTTP parser: 400 either from the parser or from
// the target check.
std::vector<path_case> const unsafe_bytes = {
    {"NUL", std::string{"/openidm/a\0b", 12}},
    {"tab", "/openidm/a\tb"},
    {"escape",
     "/openidm/a\x1b"
     "b"},
    {"DEL",
     "/openidm/a\x7f"
     "b"},
    {"bare CR", "/openidm/a\rb"},
    // RFC 9112 §3.2, RFC 3986 §2: a target is ASCII; anything else must come percent-encoded.
    // Beast's parser lets 0x80-0xFF through, so the target check refuses them.
    {"UTF-8 in the path", "/openidm/managed/caf\xc3\xa9"},
    {"Latin-1 in the path", "/openidm/managed/caf\xe9"},
    {"0x80 in the path", "/openidm/a\x80"},
    {"0xff in the path", "/openidm/a\xff"},
    {"UTF-8 in the query", "/openidm/managed/user?_queryFilter=cn+eq+%22caf\xc3\xa9%22"},
    {"UTF-8 in an absolute-form target", "http://localhost/openidm/caf\xc3\xa9"},
};

}  // namespace

TEST_CASE("unsafe request targets are refused with 400, the connection closed, nothing forwarded") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto const before = sim.stats().resource_requests;

    for (auto const& c : unsafe_targets) {
        INFO(c.name << ": " << c.target);
        auto const out = raw_request(proxy.port(), get(c.target));
        REQUIRE(out.responses.size() == 1);
        check_refusal(out.responses[0], 400, "bad_request");
        CHECK(out.closed);
    }
    for (auto const& c : unsafe_bytes) {
        INFO(c.name);
        auto const out = raw_request(proxy.port(), get(c.target));
        REQUIRE(out.responses.size() == 1);
        check_refusal(out.responses[0], 400, "bad_request");
        CHECK(out.closed);
    }
    CHECK(sim.stats().resource_requests == before);
}

TEST_CASE("a request cannot carry one route's token to another route's API") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto const before = sim.stats().resource_requests;

    // Each starts under a route whose credential or scopes differ from the API it tries to reach.
    for (std::string target :
         {"/iga/../openidm/managed/user", "/iga/%2e%2e/openidm/managed/user", "/iga/%2E%2e/openidm/x",
          "/environment/variables/%2e%2e/%2e%2e/openidm/managed/user",
          "/environment/variables/../secrets/esv-x", "/environment/variables/%2e%2e%2fsecrets",
          "/monitoring/..%2fam/json", "/monitoring/..%5cam/json", "/am/..\\openidm/x",
          "/auto/orchestration/..;/..;/openidm/x", "/ws/admin/.%2E/.%2e/am/oauth2/access_token",
          "/environment/promotion/%2e%2e/release", "/openidm/%252e%252e/am",
          "http://localhost/iga/../openidm/x"}) {
        INFO(target);
        auto const out = raw_request(proxy.port(), get(target));
        REQUIRE(out.responses.size() == 1);
        check_refusal(out.responses[0], 400, "bad_request");
        CHECK(out.closed);
    }
    CHECK(sim.stats().resource_requests == before);
}

TEST_CASE("a route prefix matches whole segments only and a refused target never borrows a route") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const before = sim.stats().resource_requests;

    // "/openidmx" is not under "/openidm", and "/environment" alone is no route: 404, not forwarded.
    for (std::string target :
         {"/openidmx/managed/user", "/environment", "/environment/secretsx/a", "/Openidm/x"}) {
        INFO(target);
        check_refusal(client->request("GET", target), 404, "not_found");
    }
    CHECK(sim.stats().resource_requests == before);

    // The same API through its own route gets that route's scopes (the token matches the API).
    auto const own = client->request("GET", "/openidm/managed/user");
    REQUIRE(own.status == 200);
    CHECK(json::parse(own.body).as_object().at("scopes").as_array() == json::array{"fr:idm:*"});
    auto const iga = client->request("GET", "/iga/governance/user");
    REQUIRE(iga.status == 200);
    auto const iga_scopes = json::parse(iga.body).as_object().at("scopes").as_array();
    CHECK(iga_scopes.size() == 2);
    CHECK(std::find(iga_scopes.begin(), iga_scopes.end(), json::value(json::string("fr:iga:*"))) !=
          iga_scopes.end());

    // An absolute-form target naming an allowed local host is routed on its path like origin-form.
    auto const abs = raw_request(proxy.port(), get("http://localhost:8080/openidm/managed/user"));
    REQUIRE(abs.responses.size() == 1);
    CHECK(abs.responses[0].status == 200);
    CHECK(json::parse(abs.responses[0].body).as_object().at("target").as_string() == "/openidm/managed/user");
    CHECK(sim.stats().resource_requests == before + 3);
}
