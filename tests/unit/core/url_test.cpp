// https URL parsing: the forms the config accepts and the explicit-port audience form.
#include "core/url.hpp"

#include <catch2/catch.hpp>

using aic::parse_https_url;

TEST_CASE("https URLs parse into host, port and path", "[core][url]") {
    auto u = parse_https_url("https://openam-acme.forgeblocks.com");
    REQUIRE(u.has_value());
    CHECK(u->host == "openam-acme.forgeblocks.com");
    CHECK(u->port == 443);
    CHECK(u->path == "/");
    CHECK(u->authority() == "openam-acme.forgeblocks.com");

    auto v = parse_https_url("https://[::1]:8443/am/");
    REQUIRE(v.has_value());
    CHECK(v->host == "::1");
    CHECK(v->port == 8443);
    CHECK(v->path == "/am");
    CHECK(v->authority() == "[::1]:8443");
}

TEST_CASE("the audience form always carries exactly one port", "[core][url]") {
    auto t = aic::join_path(*parse_https_url("https://tenant.example.com"), "/am/oauth2/access_token");
    CHECK(t.with_explicit_port() == "https://tenant.example.com:443/am/oauth2/access_token");
    auto p = aic::join_path(*parse_https_url("https://localhost:9443/"), "/am/oauth2/access_token");
    CHECK(p.with_explicit_port() == "https://localhost:9443/am/oauth2/access_token");
    CHECK(p.text() == "https://localhost:9443/am/oauth2/access_token");
}

TEST_CASE("URLs that are not plain https are refused", "[core][url]") {
    for (auto const* bad : {"http://tenant", "https://", "https://user@tenant", "https://tenant?x=1",
                            "https://tenant:0", "https://tenant:70000", "https://tenant:", "https://[::1",
                            "https://a:b:c", "ftp://x", "https://tenant/#frag"}) {
        INFO(bad);
        CHECK_FALSE(parse_https_url(bad).has_value());
    }
}
