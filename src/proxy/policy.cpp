#include "proxy/policy.hpp"

#include "proxy/ascii.hpp"
#include "proxy/head_fields.hpp"

#include "proxy/target.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace aic::proxy {
namespace {

constexpr std::size_t max_detail_value = 200;

// Client-supplied text placed in a detail is cut short: the detail is for a human reading a log.
std::string quoted(std::string_view value) {
    std::string out = "'";
    out.append(value.substr(0, max_detail_value));
    if (value.size() > max_detail_value) out.append("...");
    out.push_back('\'');
    return out;
}

using ascii::iequals;

// Compares in time that depends only on the expected key's length, so a caller cannot find
// the key byte by byte.
bool constant_time_equal(std::string_view given, std::string_view expected) noexcept {
    if (given.size() != expected.size()) {
        (void)CRYPTO_memcmp(expected.data(), expected.data(), expected.size());
        return false;
    }
    return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

// What the checks need from a request head, gathered in one pass over its fields: a lookup by name
// costs a search of Beast's ordered field set, and the checks would make eight of them.
struct head_facts {
    std::size_t hosts = 0;
    std::string_view host;
    std::size_t content_lengths = 0;
    std::string_view content_length;
    std::size_t transfer_encodings = 0;
    std::string_view transfer_encoding;
    bool foreign_origin = false;
    bool allowed_origin = false;
    bool cross_site_fetch = false;  // Sec-Fetch-Site: cross-site or same-site
    bool forwarded = false;         // Forwarded or X-Forwarded-For
    std::size_t required_headers = 0;
    std::string_view required_value;
    std::size_t proxy_keys = 0;
    std::string_view proxy_key;
};

template <class Fields>
head_facts gather(http::header<true, Fields> const& req, config::security const& sec) {
    head_facts h;
    auto const& origins = sec.allowed_origins;
    std::string_view const required = sec.required_header ? std::string_view{sec.required_header->first} : "";
    bool const want_key = !sec.client_key.empty();
    for (auto const& f : req) {
        std::string_view const value = f.value();
        switch (f.name()) {
            case http::field::host:
                ++h.hosts;
                h.host = value;
                break;
            case http::field::content_length:
                ++h.content_lengths;
                h.content_length = value;
                break;
            case http::field::transfer_encoding:
                ++h.transfer_encodings;
                h.transfer_encoding = value;
                break;
            case http::field::origin:
                if (std::find(origins.begin(), origins.end(), value) == origins.end())
                    h.foreign_origin = true;
                else
                    h.allowed_origin = true;
                break;
            case http::field::sec_fetch_site:
                if (iequals(value, "cross-site") || iequals(value, "same-site")) h.cross_site_fetch = true;
                break;
            case http::field::forwarded: h.forwarded = true; break;
            default: break;
        }
        std::string_view const name = f.name_string();
        if (iequals(name, "X-Forwarded-For")) h.forwarded = true;
        if (want_key && iequals(name, "X-Proxy-Key")) {
            ++h.proxy_keys;
            h.proxy_key = value;
        }
        if (!required.empty() && iequals(name, required)) {
            ++h.required_headers;
            h.required_value = value;
        }
    }
    return h;
}

std::optional<refusal> check_framing(head_facts const& h) {
    if (h.content_lengths > 0 && h.transfer_encodings > 0)
        return bad_request("both Content-Length and Transfer-Encoding");
    if (h.content_lengths > 1) return bad_request("more than one Content-Length");
    if (h.transfer_encodings > 1) return bad_request("more than one Transfer-Encoding");
    if (h.content_lengths == 1) {
        std::string_view const cl = h.content_length;
        if (cl.empty() || cl.size() > 19) return bad_request("invalid Content-Length");
        for (char const c : cl)
            if (c < '0' || c > '9') return bad_request("invalid Content-Length");
    }
    if (h.transfer_encodings == 1 && !iequals(h.transfer_encoding, "chunked"))
        return bad_request("unsupported Transfer-Encoding");
    return std::nullopt;
}

bool read_only_method(http::verb m) noexcept {
    return m == http::verb::get || m == http::verb::head || m == http::verb::options;
}

bool allows(config::route const& route, std::string_view method) {
    return std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end();
}

}  // namespace

template <class Fields>
std::optional<refusal> check_head(http::header<true, Fields> const& req, config::security const& sec) {
    head_facts const h = gather(req, sec);
    // RFC 9112 §3.2: a missing (HTTP/1.1), repeated or invalid Host is a 400. A valid one that
    // names no local host is refused (403): a page on another name (DNS rebinding).
    if (h.hosts > 1) return bad_request("more than one Host header");
    if (h.hosts == 0 && req.version() >= 11) return bad_request("missing Host header");
    host_verdict const host = h.hosts == 1 ? check_host(h.host, sec.allowed_hosts) : host_verdict::allowed;
    if (host == host_verdict::malformed) return bad_request("invalid Host header " + quoted(h.host));
    if (auto r = check_framing(h)) return r;

    if (host == host_verdict::foreign) return forbidden("Host " + quoted(h.host) + " is not allowed");

    if (h.foreign_origin) return forbidden("cross-site request refused");
    // A browser sends no Origin with a GET navigation, a GET form or an <img>, but it does send
    // Sec-Fetch-Site: such a request from another site's page is refused too, unless it came with
    // an Origin that is allowed.
    if (h.cross_site_fetch && !h.allowed_origin)
        return forbidden("cross-site request refused (Sec-Fetch-Site)");

    // RFC 9110 §9.3.8: credentials must not go out in a TRACE, and a tenant that echoes one would
    // hand the injected token back to the caller.
    if (req.method() == http::verb::trace) return method_not_allowed("TRACE is not relayed");

    if (sec.refuse_forwarded && h.forwarded) return forbidden("forwarded requests are refused");

    if (sec.required_header) {
        auto const& [name, value] = *sec.required_header;
        if (h.required_headers != 1 || h.required_value != value)
            return forbidden("required header " + name + " missing or wrong");
    }

    if (!sec.client_key.empty()) {
        std::string_view const given = h.proxy_keys == 1 ? h.proxy_key : std::string_view{};
        bool const ok = constant_time_equal(given, sec.client_key.reveal());
        if (h.proxy_keys != 1 || !ok) return forbidden("missing or wrong X-Proxy-Key");
    }

    if (sec.read_only && !read_only_method(req.method())) return forbidden("the proxy is read-only");
    return std::nullopt;
}

std::string allow_header(config::route const& route) {
    std::string out;
    for (auto const& m : route.methods) {
        if (!out.empty()) out.append(", ");
        out.append(m);
    }
    if (allows(route, "GET") && !allows(route, "HEAD")) out.append(", HEAD");
    return out;
}

std::optional<refusal> check_method(config::route const& route, http::verb /*method*/,
                                    std::string_view method_text) {
    if (route.methods.empty()) return std::nullopt;
    // Compared as sent: methods are case-sensitive and the allow-list is upper case.
    if (allows(route, method_text)) return std::nullopt;
    if (method_text == "HEAD" && allows(route, "GET")) return std::nullopt;
    return method_not_allowed("method " + quoted(method_text) + " not allowed on " + route.prefix +
                              "; allowed: " + allow_header(route));
}

template std::optional<refusal> check_head(http::header<true, http::fields> const&, config::security const&);
template std::optional<refusal> check_head(http::header<true, head_fields> const&, config::security const&);

}  // namespace aic::proxy
