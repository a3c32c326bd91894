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

// 400 for a malformed head (missing, duplicate or invalid Host, ambiguous framing), 403 for a
// policy refusal.
// For the relay's heads and for Beast's default ones (tests, tools): instantiated for both.
template <class Fields>
std::optional<refusal> check_head(http::header<true, Fields> const& req, config::security const& sec);

// 405 when the route has a method allow-list that does not name `method_text`; the detail
// carries the Allow list. A list that allows GET allows HEAD too (RFC 9110 §9.1).
std::optional<refusal> check_method(config::route const& route, http::verb method,
                                    std::string_view method_text);

// The route's allow-list as an Allow header value ("GET, HEAD"); empty when all are allowed.
std::string allow_header(config::route const& route);

}  // namespace aic::proxy
