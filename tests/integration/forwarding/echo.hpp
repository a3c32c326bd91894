// Reading the simulator's echo (method, target, headers, body digest, credential, scopes) in
// forwarding tests.
#pragma once

#include "http_client.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace aic::test {

// The echo of a request that must have succeeded.
inline boost::json::object echo_of(http_response const& res) {
    INFO("status " << res.status << " body " << res.body);
    REQUIRE(res.status == 200);
    return boost::json::parse(res.body).as_object();
}

// A header the upstream received (lower-case name), or "" when it got none.
inline std::string header_or_empty(boost::json::object const& echo, char const* name) {
    auto const* v = echo.at("headers").as_object().if_contains(name);
    return v ? std::string{v->as_string()} : std::string{};
}

}  // namespace aic::test
