// One HTTPS request with small string bodies (the token endpoints): a fresh verified connection,
// a whole-exchange deadline, a response size limit. Not pooled: tokens are fetched rarely.
#pragma once

#include "core/net.hpp"
#include "core/url.hpp"
#include "net/tls_connect.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace aic::net_tls {

struct exchange_limits {
    connect_timeouts connect;
    std::chrono::milliseconds total{10000};    // the whole exchange, connect included
    std::size_t max_response_bytes = 1 << 20;  // body limit
};

struct exchange_failure {
    std::string kind;    // "resolve", "connect", "tls", "timeout", "io", "too_large"
    std::string detail;  // human text naming the host; never a request or response body
};

using string_response = http::response<http::string_body>;

// Sends `req` (target, method, body, content headers set by the caller; Host is set here).
net::awaitable<boost::system::result<string_response, exchange_failure>> https_exchange(
    ssl::context& ctx, https_url target, http::request<http::string_body> req, exchange_limits limits);

[[noreturn]] void throw_exception_from_error(exchange_failure const& e, boost::source_location const& loc);

}  // namespace aic::net_tls
