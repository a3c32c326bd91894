// check_head and check_method: listener safety decided on the request head.
#include "proxy/policy.hpp"
#include "proxy/target.hpp"

#include <catch2/catch.hpp>

using namespace aic;
using aic::proxy::check_head;

namespace {

http::request_header<> head(http::verb method = http::verb::get, std::string_view host = "localhost:8080") {
    http::request_header<> req;
    req.method(method);
    req.target("/am/json");
    req.version(11);
    if (!host.empty()) req.set(http::field::host, host);
    return req;
}

http::status status_of(http::request_header<> const& req, config::security const& sec) {
    auto const r = check_head(req, sec);
    return r ? r->status : http::status::ok;
}

}  // namespace

TEST_CASE("check_head accepts a plain local request", "[policy]") {
    config::security const sec;
    CHECK_FALSE(check_head(head(), sec));
    CHECK_FALSE(check_head(head(http::verb::get, "127.0.0.1"), sec));
    CHECK_FALSE(check_head(head(http::verb::get, "[::1]:8080"), sec));
    CHECK_FALSE(check_head(head(http::verb::get, "LocalHost:1"), sec));
}

TEST_CASE("check_head: Host must be present once and local", "[policy]") {
    config::security const sec;
    CHECK(status_of(head(http::verb::get, ""), sec) == http::status::bad_request);

    auto v10 = head(http::verb::get, "");
    v10.version(10);
    CHECK(status_of(v10, sec) == http::status::ok);

    auto twice = head();
    twice.insert(http::field::host, "localhost");
    CHECK(status_of(twice, sec) == http::status::bad_request);

    // The refusal a request with `host` gets, on HTTP/1.1 and on HTTP/1.0.
    auto const refused_with = [&](char const* host, http::status status, char const* error) {
        CAPTURE(host);
        auto req = head(http::verb::get, "");
        req.set(http::field::host, host);
        auto const r = check_head(req, sec);
        REQUIRE(r);
        CHECK(r->status == status);
        CHECK(r->error == error);
        req.version(10);
        CHECK(status_of(req, sec) == status);
    };
    // Well-formed but not local: the DNS-rebinding defence, 403.
    for (auto const* host : {"evil.example", "evil.example:8080", "localhost.evil.example", "[::2]:8080",
                             "127.0.0.2", "localhost."})
        refused_with(host, http::status::forbidden, "forbidden");
    // Not a Host value at all (RFC 9112 §3.2): 400.
    for (auto const* host : {"", "localhost:x", "localhost:99999", "a b", "user@localhost", "[::1"})
        refused_with(host, http::status::bad_request, "bad_request");
    auto const r = check_head(head(http::verb::get, "attacker.example:8080"), sec);
    REQUIRE(r);
    CHECK(r->detail.find("attacker.example:8080") != std::string::npos);

    config::security custom;
    custom.allowed_hosts = {"proxy.internal"};
    CHECK(status_of(head(http::verb::get, "PROXY.internal:80"), custom) == http::status::ok);
    CHECK(status_of(head(http::verb::get, "localhost"), custom) == http::status::forbidden);
}

TEST_CASE("check_head: Origin must be exactly one of the allowed origins", "[policy]") {
    config::security sec;
    auto req = head();
    req.set(http::field::origin, "http://localhost:8080");
    auto const r = check_head(req, sec);
    REQUIRE(r);
    CHECK(r->status == http::status::forbidden);
    CHECK(r->detail == "cross-site request refused");

    sec.allowed_origins = {"http://localhost:3000"};
    req.set(http::field::origin, "http://localhost:3000");
    CHECK_FALSE(check_head(req, sec));
    req.set(http::field::origin, "http://localhost:3000/");
    CHECK(status_of(req, sec) == http::status::forbidden);
    req.set(http::field::origin, "HTTP://localhost:3000");
    CHECK(status_of(req, sec) == http::status::forbidden);
    req.set(http::field::origin, "null");
    CHECK(status_of(req, sec) == http::status::forbidden);

    req.set(http::field::origin, "http://localhost:3000");
    req.insert(http::field::origin, "https://evil.example");
    CHECK(status_of(req, sec) == http::status::forbidden);
}

TEST_CASE("check_head: X-Forwarded-For is refused when configured", "[policy]") {
    config::security sec;
    auto req = head();
    req.set("X-Forwarded-For", "10.0.0.1");
    CHECK(status_of(req, sec) == http::status::ok);
    sec.refuse_forwarded = true;
    CHECK(status_of(req, sec) == http::status::forbidden);
    CHECK(status_of(head(), sec) == http::status::ok);
    auto fwd = head();
    fwd.set(http::field::forwarded, "for=10.0.0.1");
    CHECK(status_of(fwd, sec) == http::status::forbidden);
}

TEST_CASE("check_head: the required header must be present with its value", "[policy]") {
    config::security sec;
    sec.required_header = std::pair<std::string, std::string>{"X-AIC-Proxy", "1"};
    auto req = head();
    CHECK(status_of(req, sec) == http::status::forbidden);
    req.set("x-aic-proxy", "2");
    CHECK(status_of(req, sec) == http::status::forbidden);
    req.set("x-aic-proxy", "1");
    CHECK(status_of(req, sec) == http::status::ok);
    req.insert("X-AIC-Proxy", "1");
    CHECK(status_of(req, sec) == http::status::forbidden);

    // A name Beast knows as a field of its own is matched the same way, whatever its case.
    sec.required_header = std::pair<std::string, std::string>{"user-agent", "legacy-tool"};
    auto agent = head();
    CHECK(status_of(agent, sec) == http::status::forbidden);
    agent.set(http::field::user_agent, "legacy-tool");
    CHECK(status_of(agent, sec) == http::status::ok);
}

TEST_CASE("check_head: read-only mode allows only GET, HEAD and OPTIONS", "[policy]") {
    config::security sec;
    sec.read_only = true;
    CHECK(status_of(head(http::verb::get), sec) == http::status::ok);
    CHECK(status_of(head(http::verb::head), sec) == http::status::ok);
    CHECK(status_of(head(http::verb::options), sec) == http::status::ok);
    for (auto m : {http::verb::post, http::verb::put, http::verb::patch, http::verb::delete_}) {
        CAPTURE(http::to_string(m));
        CHECK(status_of(head(m), sec) == http::status::forbidden);
    }
    auto odd = head();
    odd.method_string("PURGE");
    CHECK(status_of(odd, sec) == http::status::forbidden);
}

TEST_CASE("check_head: X-Proxy-Key must equal the client key", "[policy]") {
    config::security sec;
    sec.client_key = secret{"s3cret-key-value"};
    auto req = head();
    auto const missing = check_head(req, sec);
    REQUIRE(missing);
    CHECK(missing->status == http::status::forbidden);
    CHECK(missing->detail.find("s3cret") == std::string::npos);

    for (auto const* wrong :
         {"", "s3cret-key-valuX", "s3cret-key-valu", "s3cret-key-value2", "s3cret", "S3CRET-KEY-VALUE"}) {
        CAPTURE(wrong);
        req.set("X-Proxy-Key", wrong);
        auto const r = check_head(req, sec);
        REQUIRE(r);
        CHECK(r->status == http::status::forbidden);
        CHECK(r->detail.find("s3cret") == std::string::npos);
    }
    req.set("x-proxy-key", "s3cret-key-value");
    CHECK_FALSE(check_head(req, sec));
    req.insert("X-Proxy-Key", "s3cret-key-value");
    CHECK(status_of(req, sec) == http::status::forbidden);
}

TEST_CASE("check_head: ambiguous body framing is a 400", "[policy]") {
    config::security const sec;
    auto both = head(http::verb::post);
    both.set(http::field::content_length, "5");
    both.set(http::field::transfer_encoding, "chunked");
    CHECK(status_of(both, sec) == http::status::bad_request);

    auto two_cl = head(http::verb::post);
    two_cl.insert(http::field::content_length, "5");
    two_cl.insert(http::field::content_length, "5");
    CHECK(status_of(two_cl, sec) == http::status::bad_request);

    for (auto const* cl : {"", "-1", "+5", "5 5", "0x10", "1,1", "5.0", "99999999999999999999"}) {
        CAPTURE(cl);
        auto req = head(http::verb::post);
        req.set(http::field::content_length, cl);
        CHECK(status_of(req, sec) == http::status::bad_request);
    }
    for (auto const* te : {"gzip", "chunked, gzip", "gzip, chunked", "chunked,chunked", "identity", "",
                           "chunked;x=1", "xchunked"}) {
        CAPTURE(te);
        auto req = head(http::verb::post);
        req.set(http::field::transfer_encoding, te);
        CHECK(status_of(req, sec) == http::status::bad_request);
    }
    auto two_te = head(http::verb::post);
    two_te.insert(http::field::transfer_encoding, "chunked");
    two_te.insert(http::field::transfer_encoding, "chunked");
    CHECK(status_of(two_te, sec) == http::status::bad_request);

    auto ok_cl = head(http::verb::post);
    ok_cl.set(http::field::content_length, "0123");
    CHECK(status_of(ok_cl, sec) == http::status::ok);
    auto ok_te = head(http::verb::post);
    ok_te.set(http::field::transfer_encoding, "chunked");
    CHECK(status_of(ok_te, sec) == http::status::ok);
}

TEST_CASE("check_head reports malformed framing before policy refusals", "[policy]") {
    config::security const sec;
    auto req = head(http::verb::post, "evil.example");
    req.set(http::field::content_length, "5");
    req.set(http::field::transfer_encoding, "chunked");
    CHECK(status_of(req, sec) == http::status::bad_request);
}

TEST_CASE("check_method enforces a route's allow-list", "[policy]") {
    config::route route;
    route.prefix = "/am";
    CHECK_FALSE(proxy::check_method(route, http::verb::delete_, "DELETE"));

    route.methods = {"GET", "HEAD"};
    CHECK_FALSE(proxy::check_method(route, http::verb::get, "GET"));
    CHECK_FALSE(proxy::check_method(route, http::verb::head, "HEAD"));
    auto const r = proxy::check_method(route, http::verb::post, "POST");
    REQUIRE(r);
    CHECK(r->status == http::status::method_not_allowed);
    CHECK(r->error == "method_not_allowed");
    CHECK(r->detail.find("GET, HEAD") != std::string::npos);
    CHECK(proxy::check_method(route, http::verb::unknown, "PURGE"));
    CHECK(proxy::check_method(route, http::verb::get, "get"));
    CHECK(proxy::allow_header(route) == "GET, HEAD");
}

TEST_CASE("check_method: a list that allows GET allows HEAD, and says so in Allow", "[policy]") {
    config::route route;
    route.prefix = "/openidm";
    route.methods = {"GET", "POST"};
    CHECK_FALSE(proxy::check_method(route, http::verb::head, "HEAD"));
    CHECK(proxy::allow_header(route) == "GET, POST, HEAD");
    route.methods = {"POST"};
    CHECK(proxy::check_method(route, http::verb::head, "HEAD"));
    CHECK(proxy::allow_header(route) == "POST");
}

TEST_CASE("check_head: Sec-Fetch-Site from another site's page is refused without an allowed Origin",
          "[policy]") {
    config::security sec;
    for (auto const* site : {"cross-site", "same-site", "Cross-Site"}) {
        CAPTURE(site);
        auto req = head();
        req.set(http::field::sec_fetch_site, site);
        auto const r = check_head(req, sec);
        REQUIRE(r);
        CHECK(r->status == http::status::forbidden);
    }
    // Typed in the address bar, or the page of the proxy's own origin; tools send none at all.
    for (auto const* site : {"none", "same-origin"}) {
        CAPTURE(site);
        auto req = head();
        req.set(http::field::sec_fetch_site, site);
        CHECK_FALSE(check_head(req, sec));
    }
    // A page whose Origin the operator allowed may call from its own site.
    sec.allowed_origins = {"http://localhost:3000"};
    auto req = head();
    req.set(http::field::sec_fetch_site, "same-site");
    req.set(http::field::origin, "http://localhost:3000");
    CHECK_FALSE(check_head(req, sec));
}

TEST_CASE("check_head: TRACE is refused with 405", "[policy]") {
    config::security const sec;
    auto const r = check_head(head(http::verb::trace), sec);
    REQUIRE(r);
    CHECK(r->status == http::status::method_not_allowed);
}

TEST_CASE("check_token_endpoint refuses the tenant's token endpoints however the path spells them",
          "[policy]") {
    for (auto const* path : {"/am/oauth2/access_token", "/am/oauth2/realms/root/access_token",
                             "/am/oauth2/realms/root/realms/alpha/access_token", "/am/oauth2/tokeninfo",
                             "/am/oauth2/realms/root/realms/alpha/tokeninfo", "/am/oauth2/tokeninfo/",
                             "/am/oauth2/tokeninfo;x=1", "/am/OAuth2/TokenInfo", "/am/oauth2/%74okeninfo",
                             "/am/%6fauth2/tokeninfo", "/am/oauth2/introspect", "/am/oauth2/token/revoke",
                             "/am/oauth2/alpha/access_token"}) {
        CAPTURE(path);
        auto const r = proxy::check_token_endpoint(path);
        REQUIRE(r);
        CHECK(r->status == http::status::forbidden);
    }
    for (auto const* path :
         {"/am/json/realms/root/realms/alpha/users", "/am/oauth2/.well-known/openid-configuration",
          "/am/oauth2/connect/jwk_uri", "/am/oauth2/userinfo", "/openidm/managed/alpha_user/tokeninfo",
          "/openidm/managed/alpha_user", "/am/json/access_token", "/am/oauth2", "/%61m/json"}) {
        CAPTURE(path);
        CHECK_FALSE(proxy::check_token_endpoint(path));
    }
}
