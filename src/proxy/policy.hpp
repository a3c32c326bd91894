// Listener safety, decided on the request head before anything is forwarded: local Host only
// (DNS rebinding), no foreign Origin (cross-site pages), the optional anti-SSRF switches, the
// client key, read-only mode, and unambiguous body framing (request smuggling).
#pragma once

#include "config/config.hpp"
#include "core/net.hpp"
#include "proxy/errors.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace aic::proxy {

// 400 for a malformed head (missing/duplicate Host, ambiguous framing), 403 for a policy refusal.
// For the relay's heads and for Beast's default ones (tests, tools): instantiated for both.
template <class Fields>
std::optional<refusal> check_head(http::header<true, Fields> const& req, config::security const& sec);

// 405 when the route has a method allow-list that does not name `method_text`; the detail
// carries the Allow list. A list that allows GET allows HEAD too (RFC 9110 §9.1).
std::optional<refusal> check_method(config::route const& route, http::verb method,
                                    std::string_view method_text);

// The route's allow-list as an Allow header value ("GET, HEAD"); empty when all are allowed.
std::string allow_header(config::route const& route);

// 403 for the tenant's OAuth 2.0 endpoints that deal in tokens, on any route: tokeninfo answers
// with the very token it is sent (any local process could read the route's token through the
// proxy), and the token, introspection and revocation endpoints would spend or churn it. Matched
// as the tenant will read the path: per segment, percent-decoded, without ";" parameters, any case.
// `path` has passed check_target (no dot segments, well-formed escapes).
std::optional<refusal> check_token_endpoint(std::string_view path);

}  // namespace aic::proxy
