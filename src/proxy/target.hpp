// The raw request-target, split and checked before routing. Routing is decided on exactly the
// bytes that are relayed, so anything a server upstream might normalise differently (dot
// segments, encoded separators, backslashes, NULs, raw bytes outside ASCII) is refused rather
// than rewritten.
#pragma once

#include "config/config.hpp"
#include "core/net.hpp"
#include "proxy/errors.hpp"

#include <optional>
#include <string_view>

namespace aic::proxy {

// Views into the checked target (or into static storage for "/").
struct checked_target {
    std::string_view path;         // "/openidm/managed/alpha_user"
    std::string_view query;        // without '?'; empty when none
    std::string_view origin_form;  // path + "?" + query, what the upstream request line carries
};

// Accepts origin-form ("/path?query"); absolute-form "http://host[:port]/x" only when host is in
// sec.allowed_hosts (then reduced to its origin-form); asterisk-form "*" only when `method` is
// OPTIONS (path "*", which no route matches). Everything else, and every unsafe path, is a 400.
// `method` defaults to unknown, which refuses "*".
std::optional<refusal> check_target(std::string_view target, config::security const& sec, checked_target& out,
                                    http::verb method = http::verb::unknown);

// 403 for the tenant's OAuth 2.0 endpoints that deal in tokens, on any route: tokeninfo answers
// with the very token it is sent (any local process could read the route's token through the
// proxy), and the token, introspection and revocation endpoints would spend or churn it. Matched
// as the tenant will read the path: per segment, percent-decoded, without ";" parameters, any case.
// `path` has passed check_target (no dot segments, well-formed escapes).
std::optional<refusal> check_token_endpoint(std::string_view path);

// What a Host value (or an absolute-form target's authority) is to the listener.
enum class host_verdict {
    allowed,    // a well-formed name[:port] whose name is one of the allowed ones
    foreign,    // well-formed, another name: the DNS-rebinding defence refuses it (403)
    malformed,  // not a Host value at all (RFC 9112 §3.2: 400)
};

// `host` must be uri-host [":" port] (RFC 9110 §7.2): a reg-name (RFC 3986 unreserved,
// sub-delims, %XX escapes; IPv4 addresses are reg-names too) or a bracketed IP literal, and a
// port of 1 to 5 digits up to 65535. Malformed otherwise: empty, a space, '@', '/', a byte outside
// ASCII, a bad escape, an unclosed '[', and an empty port too (the grammar allows "localhost:",
// no client sends it). Allowed when the name (port dropped) equals one of `allowed`
// case-insensitively. One pass over `host`: this runs for every request.
host_verdict check_host(std::string_view host, std::vector<std::string> const& allowed);

// check_host(host, allowed) == host_verdict::allowed.
bool host_allowed(std::string_view host, std::vector<std::string> const& allowed);

}  // namespace aic::proxy
