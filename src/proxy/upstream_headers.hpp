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

// Appends the upstream request head as it goes on the wire (request line, fields, blank line) to
// `out`. Method (method_string kept for unknown verbs) and target byte for byte, version 1.1.
// Copies every client header except hop-by-hop ones (Connection and what it names, Keep-Alive,
// Proxy-*, TE, Trailer, Upgrade), Host, Authorization, Cookie, X-Proxy-Key, Expect, X-Forwarded-*,
// Forwarded, X-Request-Id and any header the route or the credentials set; then adds those.
// Content-Length / Transfer-Encoding stay as the client sent them, even if Connection names them.
// Text, not a Beast message: the relay writes it as it is, with no per-field allocation.
// Instantiated for the relay's heads and for Beast's default ones (tests, the fuzzer).
template <class Fields>
void write_upstream_head(http::header<true, Fields> const& in, std::string_view origin_form_target,
                         forward_context const& ctx, config::route const& route,
                         auth::injected_headers const& credentials, std::string& out);

// How the response head the client gets differs from the upstream's in framing and persistence.
struct client_framing {
    unsigned version = 11;                // the client's HTTP version (10 or 11)
    bool keep_alive = true;               // whether the client connection stays open afterwards
    bool add_chunked = false;             // a close-delimited upstream body, re-framed in chunks
    bool drop_transfer_encoding = false;  // an HTTP/1.0 client: the body ends with the connection
};

// Appends the response head relayed to the client to `out`: the upstream's status and reason,
// its fields minus hop-by-hop ones (Content-Length / Transfer-Encoding kept: the body framing is
// relayed; but not in a 1xx or 204, which must carry neither), then X-Request-Id and the framing
// and Connection fields `framing` calls for.
// Instantiated for the relay's relayed_response and for Beast's response header (tests, the fuzzer).
template <class Head>
void write_client_response_head(Head const& res, std::string_view request_id, client_framing const& framing,
                                std::string& out);

}  // namespace aic::proxy
