// The upstream request head, built from the client's: hop-by-hop and client credentials out,
// the route's credentials and the forwarding headers in, path and body framing untouched.
#pragma once

#include "auth/access_token.hpp"
#include "config/config.hpp"
#include "core/net.hpp"

#include <string_view>

namespace aic::proxy {

struct forward_context {
    std::string_view upstream_authority;  // Host value for the upstream ("tenant.example.com")
    std::string_view client_ip;           // X-Forwarded-For
    std::string_view client_host;         // the client's Host header, for X-Forwarded-Host
    std::string_view request_id;          // X-Request-Id
};

// Method (method_string kept for unknown verbs) and target byte for byte, version 1.1. Copies
// every client header except hop-by-hop ones (Connection and what it names, Keep-Alive, Proxy-*,
// TE, Trailer, Upgrade), Host, Authorization, Cookie, X-Proxy-Key, Expect, X-Forwarded-*,
// Forwarded, X-Request-Id and any header the route or the credentials set; then adds those.
// Content-Length / Transfer-Encoding stay as the client sent them, even if Connection names them.
void build_upstream_head(http::request_header<> const& in, std::string_view origin_form_target,
                         forward_context const& ctx, config::route const& route,
                         auth::injected_headers const& credentials, http::request_header<>& out);

// Drops hop-by-hop headers from an upstream response before it is relayed to the client.
// Content-Length / Transfer-Encoding are kept: the session relays the body framing.
void strip_hop_by_hop_response(http::response_header<>& res);

}  // namespace aic::proxy
