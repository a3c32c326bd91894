// Refusals and the proxy's own JSON error responses ({"error","detail","request_id"}).
#pragma once

#include "core/net.hpp"

#include <string>
#include <string_view>

namespace aic::proxy {

// A refusal the session turns into the proxy's JSON error and (for 400/431) a closed connection.
// `error` is one of the fixed codes below (static storage); `detail` is for humans and never
// carries secret material.
struct refusal {
    http::status status;
    std::string_view error;
    std::string detail;
};

namespace error_code_text {
inline constexpr std::string_view bad_request = "bad_request";                // 400
inline constexpr std::string_view forbidden = "forbidden";                    // 403
inline constexpr std::string_view not_found = "not_found";                    // 404
inline constexpr std::string_view method_not_allowed = "method_not_allowed";  // 405
inline constexpr std::string_view payload_too_large = "payload_too_large";    // 413
inline constexpr std::string_view uri_too_long = "uri_too_long";              // 414
inline constexpr std::string_view header_too_large = "header_too_large";      // 431
inline constexpr std::string_view bad_gateway = "bad_gateway";                // 502
inline constexpr std::string_view no_token = "no_token";                      // 503
inline constexpr std::string_view gateway_timeout = "gateway_timeout";        // 504
}  // namespace error_code_text

// Shorthands that pair each status with its code.
refusal bad_request(std::string detail);
refusal forbidden(std::string detail);
refusal not_found(std::string detail);
refusal method_not_allowed(std::string detail);
refusal payload_too_large(std::string detail);
refusal uri_too_long(std::string detail);
refusal header_too_large(std::string detail);
refusal bad_gateway(std::string detail);
refusal no_token(std::string detail);
refusal gateway_timeout(std::string detail);

// True for the refusals after which the connection must be closed: the request framing can no
// longer be trusted (400) or the rest of an oversized head is still unread (414, 431).
bool closes_connection(refusal const& r) noexcept;

// JSON body via boost::json (so quotes and control bytes in `detail` are escaped), content-type
// application/json, Cache-Control: no-store, X-Request-Id; Connection: close when !keep_alive.
http::response<http::string_body> error_response(refusal const& r, std::string_view request_id,
                                                 unsigned version, bool keep_alive);

}  // namespace aic::proxy
