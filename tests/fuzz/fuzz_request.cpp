// Raw request bytes through every check the session runs before forwarding. Each stage is fed
// only what the previous one accepted, as in the session; every stage must survive any input.
#include "proxy/policy.hpp"
#include "proxy/router.hpp"
#include "proxy/target.hpp"
#include "proxy/upstream_headers.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace aic;

config::security const& security() {
    static config::security const sec = [] {
        config::security s;
        s.allowed_origins = {"http://localhost:3000"};
        return s;
    }();
    return sec;
}

config::route const& route() {
    static config::route const r = [] {
        config::route x;
        x.prefix = "/am";
        x.headers = {{"Accept-API-Version", "resource=2.0"}};
        x.methods = {"GET", "POST"};
        return x;
    }();
    return r;
}

auth::injected_headers const& credentials() {
    static auth::injected_headers const h = [] {
        auth::injected_headers c;
        c.add("Authorization", secret{"Bearer fuzz-token"});
        return c;
    }();
    return h;
}

proxy::router const& routes() {
    static proxy::router const r{{"/am", "/openidm", "/environment", "/environment/secrets", "/"}};
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    parser.eager(false);
    beast::error_code ec;
    parser.put(net::buffer(data, size), ec);
    if (ec || !parser.is_header_done()) return 0;
    auto const& req = parser.get();

    if (auto r = proxy::check_head(req, security())) return 0;
    proxy::checked_target target;
    if (auto r = proxy::check_target(req.target(), security(), target, req.method())) return 0;
    (void)proxy::is_local_path(target.path);
    auto const index = routes().match(target.path);
    if (!index) return 0;
    (void)proxy::check_method(route(), req.method(), req.method_string());

    std::string_view const host = req[http::field::host];
    proxy::forward_context const ctx{"tenant.example.com", "127.0.0.1", host,
                                     "0123456789abcdef0123456789abcdef"};
    std::string head;
    proxy::write_upstream_head(req, target.origin_form, ctx, route(), credentials(), head);
    // What we relay must parse back as exactly one unambiguous head.
    http::request_parser<http::empty_body> relayed;
    relayed.eager(false);
    if (relayed.put(net::buffer(head), ec) != head.size() || ec || !relayed.is_header_done())
        __builtin_trap();
    auto const& out = relayed.get();
    if (out.count(http::field::content_length) + out.count(http::field::transfer_encoding) > 1)
        __builtin_trap();
    if (out.count(http::field::authorization) != 1 || out.count(http::field::host) != 1) __builtin_trap();
    if (out.target() != target.origin_form) __builtin_trap();
    return 0;
}
