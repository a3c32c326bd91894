// The request-target checks: which targets the proxy relays (origin form, or absolute form naming
// an allowed local host) and which it refuses, before any routing sees the path.
#include "proxy/target.hpp"

#include "proxy/ascii.hpp"

#include <array>
#include <string>

namespace aic::proxy {
namespace {

constexpr std::string_view root_path = "/";

bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

using ascii::iequals;
using ascii::lower;

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The bytes check_bytes has something to say about; a table, because its loop runs over every
// byte of every target and most bytes are none of these. Bytes outside ASCII are in it, so
// refusing them costs nothing per byte that passes.
constexpr std::array<bool, 256> notable_target_bytes = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 0x80; c < 0x100; ++c) t[static_cast<std::size_t>(c)] = true;
    for (unsigned char const c : {' ', '#', '%', '\x7f'}) t[c] = true;
    return t;
}();

// The bytes of a Host's reg-name other than '%' (RFC 3986 §3.2.2: unreserved and sub-delims).
constexpr std::array<bool, 256> reg_name_bytes = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (unsigned char const c : std::string_view{"-._~!$&'()*+,;="}) t[c] = true;
    return t;
}();

// What may stand between a Host's brackets (RFC 3986 §3.2.2): an IPv6 address, checked for its
// bytes (hex digits, ':' and '.', at least one ':'), or "v" HEXDIG+ "." and then unreserved,
// sub-delims or ':' (IPvFuture).
bool is_ip_literal(std::string_view s) noexcept {
    if (s.empty()) return false;
    if (s.front() == 'v' || s.front() == 'V') {
        std::size_t i = 1;
        while (i < s.size() && is_hex(s[i])) ++i;
        if (i == 1 || i + 1 >= s.size() || s[i] != '.') return false;
        for (++i; i < s.size(); ++i)
            if (!reg_name_bytes[static_cast<unsigned char>(s[i])] && s[i] != ':') return false;
        return true;
    }
    bool colon = false;
    for (char const c : s) {
        if (c == ':')
            colon = true;
        else if (!is_hex(c) && c != '.')
            return false;
    }
    return colon;
}

// Byte-level checks over the whole target: control bytes, NULs, bytes outside ASCII and malformed
// escapes are refused anywhere, path or query.
std::optional<refusal> check_bytes(std::string_view t) {
    for (std::size_t i = 0; i < t.size(); ++i) {
        auto const c = static_cast<unsigned char>(t[i]);
        if (!notable_target_bytes[c]) continue;
        if (c == 0) return bad_request("NUL in request target");
        if (c < 0x20 || c == 0x7f) return bad_request("control character in request target");
        // RFC 9112 §3.2, RFC 3986 §2: a target is ASCII, anything else percent-encoded. Beast's
        // parser lets 0x80-0xFF through; relayed raw, each server on the way may read them its own
        // way (Latin-1, UTF-8, or a 400 of its own).
        if (c >= 0x80) return bad_request("byte outside ASCII in request target (percent-encode it)");
        if (c == ' ') return bad_request("space in request target");
        if (c == '#') return bad_request("fragment in request target");
        if (c == '%') {
            if (t.size() - i < 3 || !is_hex(t[i + 1]) || !is_hex(t[i + 2]))
                return bad_request("malformed percent escape in request target");
            if (t[i + 1] == '0' && t[i + 2] == '0') return bad_request("encoded NUL in request target");
        }
    }
    return std::nullopt;
}

// Decodes one path character at s[i] ("%2e" counts as '.'); advances i. Only called after
// check_bytes, so every '%' is followed by two hex digits.
char decode_at(std::string_view s, std::size_t& i) noexcept {
    if (s[i] == '%') {
        char const c = static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
        i += 3;
        return c;
    }
    return s[i++];
}

// "." or ".." in any mix of raw and %2e. Matrix parameters are cut first because Java servlet
// containers treat "..;x" as ".." when they normalise.
bool is_dot_segment(std::string_view seg) noexcept {
    std::size_t dots = 0;
    std::size_t i = 0;
    while (i < seg.size()) {
        char const c = decode_at(seg, i);
        if (c == ';') break;
        if (c != '.') return false;
        ++dots;
    }
    return dots == 1 || dots == 2;
}

constexpr std::array<std::string_view, 4> token_endpoints{"access_token", "tokeninfo", "introspect",
                                                          "revoke"};

// Whether the path's last non-empty segment, without ";" parameters, could name a token endpoint,
// read as it is (no escapes). A scan of one segment from the end rather than of the whole path:
// this runs for every relayed request.
bool ends_like_token_endpoint(std::string_view path) noexcept {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    std::string_view last = path.substr(path.rfind('/') + 1);
    last = last.substr(0, last.find(';'));
    for (auto const endpoint : token_endpoints)
        if (iequals(last, endpoint)) return true;
    return false;
}

// One path segment as the tenant reads it: percent-decoded (decode_at), cut at ';' (matrix
// parameters), lower case.
std::string decoded_segment(std::string_view seg) {
    std::string out;
    out.reserve(seg.size());
    std::size_t i = 0;
    while (i < seg.size()) {
        char const c = decode_at(seg, i);
        if (c == ';') break;
        out.push_back(lower(c));
    }
    return out;
}

std::optional<refusal> check_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return bad_request("request target must start with '/'");
    if (path.size() >= 2 && (path[1] == '/' || path[1] == '\\'))
        return bad_request("protocol-relative request target");
    for (std::size_t i = 0; i < path.size(); ++i) {
        char const c = path[i];
        if (c == '\\') return bad_request("backslash in request path");
        // An upstream that merges "//" would route "/environment//secrets" differently from us.
        if (c == '/' && i + 1 < path.size() && path[i + 1] == '/')
            return bad_request("empty segment in request path");
        if (c == '%') {
            char const a = path[i + 1];
            char const b = lower(path[i + 2]);
            if ((a == '2' && b == 'f') || (a == '5' && b == 'c'))
                return bad_request("encoded path separator in request path");
            int const v = hex_value(a) * 16 + hex_value(b);
            if (v < 0x20 || v == 0x7f) return bad_request("encoded control character in request path");
            // A second decoding upstream would turn "%252e" into '.' or "%252f" into '/'.
            if (a == '2' && b == '5' && i + 4 < path.size()) {
                char const d1 = path[i + 3];
                char const d2 = lower(path[i + 4]);
                if ((d1 == '2' && (d2 == 'e' || d2 == 'f')) || (d1 == '5' && d2 == 'c') ||
                    (d1 == '0' && d2 == '0'))
                    return bad_request("double-encoded separator in request path");
            }
        }
    }
    std::size_t start = 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (is_dot_segment(path.substr(start, end - start)))
            return bad_request("dot segment in request path");
        start = end + 1;
    }
    return std::nullopt;
}

// Strips "scheme://authority" from an absolute-form target; refuses unless the authority is an
// allowed local name. Leaves `rest` as what followed the authority.
std::optional<refusal> strip_absolute(std::string_view target, config::security const& sec,
                                      std::string_view& rest) {
    std::size_t scheme_len = 0;
    if (istarts_with(target, "http://"))
        scheme_len = 7;
    else if (istarts_with(target, "https://"))
        scheme_len = 8;
    else
        return bad_request("request target is not in origin-form");
    std::string_view after = target.substr(scheme_len);
    std::size_t const end = after.find_first_of("/?");
    std::string_view const authority = after.substr(0, end);
    if (authority.find('@') != std::string_view::npos) return bad_request("userinfo in request target");
    if (!host_allowed(authority, sec.allowed_hosts))
        return bad_request("absolute-form target names a foreign host");
    rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
    return std::nullopt;
}

}  // namespace

host_verdict check_host(std::string_view host, std::vector<std::string> const& allowed) {
    std::size_t i = 0;
    if (!host.empty() && host.front() == '[') {
        std::size_t const close = host.find(']');
        if (close == std::string_view::npos || !is_ip_literal(host.substr(1, close - 1)))
            return host_verdict::malformed;
        i = close + 1;
        if (i < host.size() && host[i] != ':') return host_verdict::malformed;
    } else {
        // The name's bytes, up to the port's ':'. Escapes and ':' are the rare bytes, looked at
        // only when the table says a byte is not a plain reg-name one.
        while (i < host.size()) {
            auto const c = static_cast<unsigned char>(host[i]);
            if (reg_name_bytes[c]) {
                ++i;
                continue;
            }
            if (c == ':') break;
            if (c != '%' || host.size() - i < 3 || !is_hex(host[i + 1]) || !is_hex(host[i + 2]))
                return host_verdict::malformed;
            i += 3;
        }
        if (i == 0) return host_verdict::malformed;
    }
    std::string_view const name = host.substr(0, i);
    if (i < host.size()) {
        std::string_view const port = host.substr(i + 1);
        if (port.empty() || port.size() > 5) return host_verdict::malformed;
        unsigned number = 0;
        for (char const c : port) {
            if (c < '0' || c > '9') return host_verdict::malformed;
            number = number * 10 + static_cast<unsigned>(c - '0');
        }
        if (number > 65535) return host_verdict::malformed;
    }
    for (auto const& a : allowed) {
        if (iequals(name, a)) return host_verdict::allowed;
        // An entry written without brackets ("::1") still means the bracketed Host form.
        if (name.size() == a.size() + 2 && name.front() == '[' && iequals(name.substr(1, a.size()), a))
            return host_verdict::allowed;
    }
    return host_verdict::foreign;
}

bool host_allowed(std::string_view host, std::vector<std::string> const& allowed) {
    return check_host(host, allowed) == host_verdict::allowed;
}

std::optional<refusal> check_token_endpoint(std::string_view path) {
    // Cheap first: a path with no escape whose last segment names no token endpoint (almost every
    // request) skips the decoding below.
    if (path.find('%') == std::string_view::npos && !ends_like_token_endpoint(path)) return std::nullopt;
    bool under_oauth2 = false;
    std::string last;
    std::size_t start = 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string seg = decoded_segment(path.substr(start, end - start));
        if (seg == "oauth2") under_oauth2 = true;
        if (!seg.empty()) last = std::move(seg);
        start = end + 1;
    }
    if (!under_oauth2) return std::nullopt;
    for (auto const endpoint : token_endpoints)
        if (last == endpoint)
            return forbidden("the tenant's OAuth 2.0 " + std::string{endpoint} +
                             " endpoint is not relayed: it would hand out or spend the route's token");
    return std::nullopt;
}

std::optional<refusal> check_target(std::string_view target, config::security const& sec, checked_target& out,
                                    http::verb method) {
    out = {};
    if (target.empty()) return bad_request("empty request target");
    if (auto r = check_bytes(target)) return r;
    if (target == "*") {
        if (method != http::verb::options) return bad_request("asterisk-form target is only for OPTIONS");
        out.path = target;
        out.origin_form = target;
        return std::nullopt;
    }
    std::string_view origin = target;
    if (target.front() != '/') {
        if (auto r = strip_absolute(target, sec, origin)) return r;
        if (origin.empty()) origin = root_path;
        if (origin.front() == '?') return bad_request("absolute-form target without a path");
    }
    std::size_t const q = origin.find('?');
    std::string_view const path = origin.substr(0, q);
    if (auto r = check_path(path)) return r;
    out.path = path;
    out.query = q == std::string_view::npos ? std::string_view{} : origin.substr(q + 1);
    out.origin_form = origin;
    return std::nullopt;
}

}  // namespace aic::proxy
