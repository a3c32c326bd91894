// The main job end to end: a client with no credentials, the real aic-proxy, the real simulator.
#include "proxy_process.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace json = boost::json;
using namespace aic::test;

TEST_CASE("a credential-less GET reaches the tenant with the route's token") {
    sim_process sim;
    proxy_process proxy{sim.dir(), demo_config(sim)};
    auto client = proxy.client();
    auto const res = client->request("GET", "/openidm/managed/alpha_user?_queryFilter=true");
    REQUIRE(res.status == 200);
    auto const echo = json::parse(res.body).as_object();
    CHECK(echo.at("target").as_string() == "/openidm/managed/alpha_user?_queryFilter=true");
    CHECK(echo.at("scopes").as_array() == json::array{"fr:idm:*"});
}
