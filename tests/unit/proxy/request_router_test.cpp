// router: longest prefix on a segment boundary; the reserved /_proxy space.
#include "proxy/router.hpp"

#include <catch2/catch.hpp>

using aic::proxy::is_local_path;
using aic::proxy::router;

TEST_CASE("router matches on segment boundaries", "[router]") {
    router const r{{"/am", "/openidm"}};
    CHECK(r.match("/am") == 0u);
    CHECK(r.match("/am/") == 0u);
    CHECK(r.match("/am/json/realms") == 0u);
    CHECK(r.match("/am?q=1") == 0u);
    CHECK(r.match("/openidm/managed/alpha_user") == 1u);
    CHECK_FALSE(r.match("/amx"));
    CHECK_FALSE(r.match("/am-admin"));
    CHECK_FALSE(r.match("/a"));
    CHECK_FALSE(r.match("/"));
    CHECK_FALSE(r.match(""));
    CHECK_FALSE(r.match("am"));
    CHECK_FALSE(r.match("/AM"));
    CHECK_FALSE(r.match("*"));
}

TEST_CASE("router prefers the longest prefix and returns the configured index", "[router]") {
    router const r{{"/environment", "/am", "/environment/secrets", "/environment/secrets/x"}};
    CHECK(r.match("/environment/secrets") == 2u);
    CHECK(r.match("/environment/secrets/abc") == 2u);
    CHECK(r.match("/environment/secrets/x/y") == 3u);
    CHECK(r.match("/environment/secretsx") == 0u);
    CHECK(r.match("/environment/secrets;jsessionid=1") == 2u);
    CHECK(r.match("/environment/variables") == 0u);
    CHECK(r.match("/environment") == 0u);
    CHECK(r.match("/am/x") == 1u);
}

TEST_CASE("router: equal prefixes go to the first configured, catch-all matches last", "[router]") {
    router const r{{"/", "/am", "/am/"}};
    CHECK(r.match("/am/x") == 1u);
    CHECK(r.match("/amx") == 0u);
    CHECK(r.match("/") == 0u);
    CHECK(r.match("/anything") == 0u);
    CHECK_FALSE(r.match("*"));

    router const empty{{}};
    CHECK_FALSE(empty.match("/am"));
}

TEST_CASE("is_local_path recognises the reserved /_proxy space only", "[router]") {
    CHECK(is_local_path("/_proxy"));
    CHECK(is_local_path("/_proxy/"));
    CHECK(is_local_path("/_proxy/healthz"));
    CHECK(is_local_path("/_proxy?x"));
    CHECK_FALSE(is_local_path("/_proxyx"));
    CHECK_FALSE(is_local_path("/_prox"));
    CHECK_FALSE(is_local_path("/am/_proxy"));
    CHECK_FALSE(is_local_path(""));
}
