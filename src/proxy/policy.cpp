#include "proxy/policy.hpp"

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

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto const lx = (x >= 'A' && x <= 'Z') ? x - 'A' + 'a' : x;
               auto const ly = (y >= 'A' && y <= 'Z') ? y - 'A' + 'a' : y;
               return lx == ly;
           });
}

// Compares in time that depends only on the expected key's length, so a caller cannot find
// the key byte by byte.
bool constant_time_equal(std::string_view given, std::string_view expected) noexcept {
    if (given.size() != expected.size()) {
        (void)CRYPTO_memcmp(expected.data(), expected.data(), expected.size());
        return false;
    }
    return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

template <class Fields>
std::optional<refusal> check_framing(http::header<true, Fields> const& req) {
    auto const cl_count = req.count(http::field::content_length);
    auto const te_count = req.count(http::field::transfer_encoding);
    if (cl_count > 0 && te_count > 0) return bad_request("both Content-Length and Transfer-Encoding");
    if (cl_count > 1) return bad_request("more than one Content-Length");
    if (te_count > 1) return bad_request("more than one Transfer-Encoding");
    if (cl_count == 1) {
        std::string_view const cl = req[http::field::content_length];
        if (cl.empty() || cl.size() > 19) return bad_request("invalid Content-Length");
        for (char const c : cl)
            if (c < '0' || c > '9') return bad_request("invalid Content-Length");
    }
    if (te_count == 1 && !iequals(req[http::field::transfer_encoding], "chunked"))
        return bad_request("unsupported Transfer-Encoding");
    return std::nullopt;
}

bool read_only_method(http::verb m) noexcept {
    return m == http::verb::get || m == http::verb::head || m == http::verb::options;
}

}  // namespace

template <class Fields>
std::optional<refusal> check_head(http::header<true, Fields> const& req, config::security const& sec) {
    auto const host_count = req.count(http::field::host);
    if (host_count > 1) return bad_request("more than one Host header");
    if (host_count == 0 && req.version() >= 11) return bad_request("missing Host header");
    if (auto r = check_framing(req)) return r;

    if (host_count == 1) {
        std::string_view const host = req[http::field::host];
        if (!host_allowed(host, sec.allowed_hosts))
            return forbidden("Host " + quoted(host) + " is not allowed");
    }

    auto const origins = req.equal_range(http::field::origin);
    for (auto it = origins.first; it != origins.second; ++it) {
        auto const& allowed = sec.allowed_origins;
        if (std::find(allowed.begin(), allowed.end(), it->value()) == allowed.end())
            return forbidden("cross-site request refused");
    }

    if (sec.refuse_forwarded && (req.count("X-Forwarded-For") > 0 || req.count(http::field::forwarded) > 0))
        return forbidden("forwarded requests are refused");

    if (sec.required_header) {
        auto const& [name, value] = *sec.required_header;
        auto const range = req.equal_range(name);
        auto const n = std::distance(range.first, range.second);
        if (n != 1 || range.first->value() != value)
            return forbidden("required header " + name + " missing or wrong");
    }

    if (!sec.client_key.empty()) {
        auto const range = req.equal_range("X-Proxy-Key");
        auto const n = std::distance(range.first, range.second);
        std::string_view const given = n == 1 ? std::string_view{range.first->value()} : std::string_view{};
        bool const ok = constant_time_equal(given, sec.client_key.reveal());
        if (n != 1 || !ok) return forbidden("missing or wrong X-Proxy-Key");
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
    return out;
}

std::optional<refusal> check_method(config::route const& route, http::verb /*method*/,
                                    std::string_view method_text) {
    if (route.methods.empty()) return std::nullopt;
    // Compared as sent: methods are case-sensitive and the allow-list is upper case.
    if (std::find(route.methods.begin(), route.methods.end(), method_text) != route.methods.end())
        return std::nullopt;
    return method_not_allowed("method " + quoted(method_text) + " not allowed on " + route.prefix +
                              "; allowed: " + allow_header(route));
}

template std::optional<refusal> check_head(http::header<true, http::fields> const&, config::security const&);
template std::optional<refusal> check_head(http::header<true, head_fields> const&, config::security const&);

}  // namespace aic::proxy
