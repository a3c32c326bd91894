// error_response JSON and make_request_id.
#include "proxy/errors.hpp"
#include "proxy/request_id.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace aic;

TEST_CASE("error_response is the proxy's JSON with escaping", "[errors]") {
    auto const r = proxy::forbidden("Host \"evil\\host\"\n is not allowed");
    auto const res = proxy::error_response(r, "abc-123", 11, true);
    CHECK(res.result() == http::status::forbidden);
    CHECK(res.version() == 11);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res[http::field::cache_control] == "no-store");
    CHECK(res["X-Request-Id"] == "abc-123");
    CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
    CHECK(res.keep_alive());

    auto const doc = boost::json::parse(res.body()).as_object();
    CHECK(doc.at("error").as_string() == "forbidden");
    CHECK(doc.at("detail").as_string() == "Host \"evil\\host\"\n is not allowed");
    CHECK(doc.at("request_id").as_string() == "abc-123");
    CHECK(doc.size() == 3);
}

TEST_CASE("error_response closes the connection when asked", "[errors]") {
    auto const res = proxy::error_response(proxy::bad_request("dot segment"), "id", 11, false);
    CHECK(res.result() == http::status::bad_request);
    CHECK_FALSE(res.keep_alive());
    CHECK(res[http::field::connection] == "close");

    auto const v10 = proxy::error_response(proxy::not_found("no route"), "id", 10, false);
    CHECK(v10.version() == 10);
    CHECK_FALSE(v10.keep_alive());
}

TEST_CASE("refusal shorthands pair status and code", "[errors]") {
    using s = http::status;
    CHECK(proxy::bad_request("").status == s::bad_request);
    CHECK(proxy::forbidden("").error == "forbidden");
    CHECK(proxy::not_found("").error == "not_found");
    CHECK(proxy::method_not_allowed("").status == s::method_not_allowed);
    CHECK(proxy::payload_too_large("").status == s::payload_too_large);
    CHECK(proxy::header_too_large("").status == s::request_header_fields_too_large);
    CHECK(proxy::header_too_large("").error == "header_too_large");
    CHECK(proxy::bad_gateway("").status == s::bad_gateway);
    CHECK(proxy::no_token("").status == s::service_unavailable);
    CHECK(proxy::no_token("").error == "no_token");
    CHECK(proxy::gateway_timeout("").status == s::gateway_timeout);
    CHECK(proxy::closes_connection(proxy::bad_request("")));
    CHECK(proxy::closes_connection(proxy::header_too_large("")));
    CHECK_FALSE(proxy::closes_connection(proxy::forbidden("")));
}

TEST_CASE("make_request_id keeps a safe client id", "[request_id]") {
    CHECK(proxy::make_request_id("abc-DEF_1.2") == "abc-DEF_1.2");
    std::string const longest(128, 'a');
    CHECK(proxy::make_request_id(longest) == longest);
}

TEST_CASE("make_request_id replaces unsafe or oversized client ids", "[request_id]") {
    auto const bad = GENERATE(as<std::string>{}, "", "a b", "a\r\nX-Injected: 1", "a/b", "a\"b", "é",
                              std::string(129, 'a'));
    CAPTURE(bad);
    auto const id = proxy::make_request_id(bad);
    CHECK(id != bad);
    REQUIRE(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("make_request_id generates distinct ids", "[request_id]") {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(proxy::make_request_id(""));
    CHECK(ids.size() == 1000);
}
