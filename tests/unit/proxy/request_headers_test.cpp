// write_upstream_head / write_client_response_head: what reaches the tenant and what comes back.
// The heads are wire text; each test parses it back with Beast's parser, as a peer would.
#include "proxy/upstream_headers.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace aic;
namespace {

// The upstream head for `in`, as text and parsed back.
struct upstream_head {
    std::string text;
    http::request<http::empty_body> parsed;
};

template <bool isRequest>
http::message<isRequest, http::empty_body> parse_head(std::string const& text) {
    http::parser<isRequest, http::empty_body> parser;
    parser.eager(false);
    beast::error_code ec;
    std::size_t const used = parser.put(net::buffer(text), ec);
    INFO(text);
    REQUIRE(!ec);
    REQUIRE(parser.is_header_done());
    CHECK(used == text.size());  // exactly one head, nothing after its blank line
    return parser.release();
}

upstream_head build(http::request_header<> const& in, std::string_view target, config::route const& route,
                    auth::injected_headers const& creds, proxy::forward_context const& ctx) {
    upstream_head h;
    proxy::write_upstream_head(in, target, ctx, route, creds, h.text);
    h.parsed = parse_head<true>(h.text);
    return h;
}

std::string value(http::request_header<> const& h, std::string_view name) {
    auto const it = h.find(name);
    return it == h.end() ? std::string{"<absent>"} : std::string{it->value()};
}

auth::injected_headers bearer(std::string token) {
    auth::injected_headers creds;
    creds.add("Authorization", secret{"Bearer " + std::move(token)});
    return creds;
}

proxy::forward_context context() {
    return {"tenant.example.com", "127.0.0.1", "localhost:8080", "0123456789abcdef0123456789abcdef"};
}

http::request_header<> client_head() {
    http::request_header<> in;
    in.method(http::verb::post);
    in.target("http://localhost:8080/openidm/managed/user?_action=create");
    in.version(10);
    in.set(http::field::host, "localhost:8080");
    in.set(http::field::authorization, "Bearer client-token");
    in.set(http::field::cookie, "session=abc");
    in.set("X-Proxy-Key", "client-key");
    in.set(http::field::expect, "100-continue");
    in.set(http::field::connection, "keep-alive, X-Secret-Hop, content-length");
    in.insert(http::field::connection, "Transfer-Encoding,x-other-hop");
    in.set("X-Secret-Hop", "1");
    in.set("X-Other-Hop", "1");
    in.set(http::field::keep_alive, "timeout=5");
    in.set(http::field::proxy_authorization, "Basic Zm9vOmJhcg==");
    in.set("Proxy-Foo", "1");
    in.set(http::field::te, "trailers");
    in.set(http::field::trailer, "X-Checksum");
    in.set(http::field::upgrade, "websocket");
    in.set("X-Forwarded-For", "10.9.9.9");
    in.set("X-Forwarded-Proto", "https");
    in.set("X-Forwarded-Host", "spoofed.example");
    in.set(http::field::forwarded, "for=10.9.9.9");
    in.set(http::field::content_type, "application/json");
    in.set(http::field::content_length, "17");
    in.set("x-custom-Case", "kept");
    in.insert(http::field::accept, "application/json");
    in.insert(http::field::accept, "text/plain");
    return in;
}

}  // namespace

TEST_CASE("build_upstream_head replaces client credentials and hop-by-hop headers", "[headers]") {
    auto const in = client_head();
    config::route route;
    route.prefix = "/openidm";
    route.headers = {{"Accept-API-Version", "resource=1.0"}};
    auto const creds = bearer("upstream-token");
    auto const head = build(in, "/openidm/managed/user?_action=create", route, creds, context());
    auto const& out = head.parsed;

    CHECK(out.method() == http::verb::post);
    CHECK(out.target() == "/openidm/managed/user?_action=create");
    CHECK(out.version() == 11);

    CHECK(value(out, "Host") == "tenant.example.com");
    CHECK(out.count(http::field::host) == 1);
    CHECK(value(out, "Authorization") == "Bearer upstream-token");
    CHECK(out.count(http::field::authorization) == 1);
    CHECK(value(out, "Accept-API-Version") == "resource=1.0");

    for (auto const* gone :
         {"Cookie", "X-Proxy-Key", "Expect", "Connection", "X-Secret-Hop", "X-Other-Hop", "Keep-Alive",
          "Proxy-Authorization", "Proxy-Foo", "TE", "Trailer", "Upgrade", "Forwarded"}) {
        CAPTURE(gone);
        CHECK(out.count(gone) == 0);
    }
    CHECK(value(out, "X-Forwarded-For") == "127.0.0.1");
    CHECK(out.count("X-Forwarded-For") == 1);
    CHECK(value(out, "X-Forwarded-Proto") == "http");
    CHECK(value(out, "X-Forwarded-Host") == "localhost:8080");
    CHECK(value(out, "X-Request-Id") == "0123456789abcdef0123456789abcdef");

    // Framing is relayed even when Connection names it: dropping it would desynchronise the stream.
    CHECK(value(out, "Content-Length") == "17");
    CHECK(value(out, "Content-Type") == "application/json");
    CHECK(out.count(http::field::accept) == 2);
    auto const custom = out.find("X-Custom-Case");
    REQUIRE(custom != out.end());
    CHECK(custom->name_string() == "x-custom-Case");
    CHECK(custom->value() == "kept");
}

TEST_CASE("build_upstream_head keeps chunked framing and unknown methods", "[headers]") {
    http::request_header<> in;
    in.method_string("BREW");
    in.target("/am/x");
    in.version(11);
    in.set(http::field::host, "localhost");
    in.set(http::field::transfer_encoding, "chunked");
    in.set("X-Request-Id", "client-id-1");
    auto const head = build(in, "/am/x", config::route{}, bearer("t"), context());
    auto const& out = head.parsed;
    CHECK(out.method() == http::verb::unknown);
    CHECK(out.method_string() == "BREW");
    CHECK(value(out, "Transfer-Encoding") == "chunked");
    CHECK(out.count(http::field::content_length) == 0);
    // The session decides on the id (make_request_id); the head carries exactly ctx.request_id.
    CHECK(value(out, "X-Request-Id") == "0123456789abcdef0123456789abcdef");
    CHECK(out.count("X-Request-Id") == 1);
}

TEST_CASE("build_upstream_head: the client cannot supply the injected API-key headers", "[headers]") {
    http::request_header<> in;
    in.method(http::verb::get);
    in.target("/monitoring/logs");
    in.version(11);
    in.set(http::field::host, "localhost");
    in.set("x-api-key", "client-key");
    in.set("X-API-Secret", "client-secret");
    in.set("Accept-API-Version", "resource=9.9");
    auth::injected_headers creds;
    creds.add("X-API-Key", secret{"real-key"});
    creds.add("X-API-Secret", secret{"real-secret"});
    config::route route;
    route.headers = {{"Accept-API-Version", "resource=1.0"}};
    auto const head = build(in, "/monitoring/logs", route, creds, context());
    auto const& out = head.parsed;
    CHECK(out.count("X-API-Key") == 1);
    CHECK(value(out, "X-API-Key") == "real-key");
    CHECK(value(out, "X-API-Secret") == "real-secret");
    CHECK(out.count("Accept-API-Version") == 1);
    CHECK(value(out, "Accept-API-Version") == "resource=1.0");
    CHECK(out.count(http::field::authorization) == 0);
}

TEST_CASE("write_upstream_head leaves out a value with a line break instead of splitting the head",
          "[headers]") {
    http::request_header<> in;
    in.method(http::verb::get);
    in.target("/am");
    in.version(11);
    auto const head = build(in, "/am", config::route{}, bearer("t\r\nX-Injected: 1"), context());
    CHECK(head.parsed.count("X-Injected") == 0);
    CHECK(head.parsed.count(http::field::authorization) == 0);
    CHECK(value(head.parsed, "Host") == "tenant.example.com");
}

TEST_CASE("a CR, LF or NUL anywhere in a value of any length leaves the value out", "[headers]") {
    http::request_header<> in;
    in.method(http::verb::get);
    in.target("/am");
    in.version(11);
    // Values of 1 to 40 bytes (whole words of eight and tails), the bad byte at every position.
    for (char const bad : {'\r', '\n', '\0'}) {
        for (std::size_t length = 1; length <= 40; ++length) {
            for (std::size_t at = 0; at < length; ++at) {
                std::string token(length, 'a');
                token[at] = bad;
                auto const head = build(in, "/am", config::route{}, bearer(token), context());
                INFO("byte " << int(bad) << " at " << at << " of " << length);
                CHECK(head.parsed.count(http::field::authorization) == 0);
            }
        }
    }
    // And values with none of them go through, tabs (one byte from LF) and obs-text included.
    std::string const clean = "a\tb\x80\xff~ 0123456789abcdefghijklmnopqrstuvwxyz";
    for (std::size_t length = 1; length <= clean.size(); ++length) {
        if (clean[length - 1] == '\t' || clean[length - 1] == ' ') continue;  // a parser trims those
        auto const head = build(in, "/am", config::route{}, bearer(clean.substr(0, length)), context());
        INFO("clean value of " << length);
        CHECK(value(head.parsed, "Authorization") == "Bearer " + clean.substr(0, length));
    }
}

namespace {

http::response_header<> upstream_response() {
    http::response_header<> res;
    res.result(http::status::ok);
    res.reason("Fine");
    res.version(11);
    res.set(http::field::connection, "close, X-Hop, Content-Length");
    res.set("X-Hop", "1");
    res.set(http::field::keep_alive, "timeout=5");
    res.set(http::field::proxy_authenticate, "Basic");
    res.set(http::field::upgrade, "h2c");
    res.set(http::field::trailer, "X-Checksum");
    res.set(http::field::content_length, "42");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::set_cookie, "a=b");
    res.insert(http::field::set_cookie, "c=d");
    res.set("X-Request-Id", "upstream-id");
    return res;
}

}  // namespace

TEST_CASE("write_client_response_head drops hop-by-hop headers but keeps framing", "[headers]") {
    std::string text;
    proxy::write_client_response_head(upstream_response(), "req-1", proxy::client_framing{}, text);
    auto const res = parse_head<false>(text);
    CHECK(text.starts_with("HTTP/1.1 200 Fine\r\n"));
    for (auto const* gone :
         {"Connection", "X-Hop", "Keep-Alive", "Proxy-Authenticate", "Upgrade", "Trailer"}) {
        CAPTURE(gone);
        CHECK(res.count(gone) == 0);
    }
    CHECK(res[http::field::content_length] == "42");
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res.count(http::field::set_cookie) == 2);
    CHECK(res.count("X-Request-Id") == 1);
    CHECK(res["X-Request-Id"] == "req-1");
    CHECK(res.keep_alive());
}

TEST_CASE("fields named by Connection are dropped past the options the writer keeps at hand", "[headers]") {
    // Eight options are collected once per head; more send each field back to the Connection fields.
    http::response_header<> in;
    in.result(http::status::ok);
    in.set(http::field::content_length, "0");
    in.insert(http::field::connection, "o1, o2, o3, o4, o5, o6, o7");
    in.set("X-Late-Hop", "1");
    in.insert(http::field::connection, "o8, x-late-hop");
    in.set("X-Kept", "1");
    std::string text;
    proxy::write_client_response_head(in, "req-1", proxy::client_framing{}, text);
    auto const res = parse_head<false>(text);
    CHECK(res.count("X-Late-Hop") == 0);
    CHECK(res.count(http::field::connection) == 0);
    CHECK(res["X-Kept"] == "1");
    CHECK(res[http::field::content_length] == "0");

    std::string request;
    http::request_header<> req;
    req.method(http::verb::get);
    req.target("/a");
    req.insert(http::field::connection, "o1, o2, o3, o4, o5, o6, o7, o8");
    req.insert(http::field::connection, "X-Late-Hop");
    req.set("X-Late-Hop", "1");
    req.set("X-Kept", "1");
    proxy::write_upstream_head(req, "/a", context(), config::route{}, bearer("t"), request);
    auto const out = parse_head<true>(request);
    CHECK(out.count("X-Late-Hop") == 0);
    CHECK(out["X-Kept"] == "1");
}

TEST_CASE("write_client_response_head states framing and persistence for the client", "[headers]") {
    auto upstream = upstream_response();
    upstream.erase(http::field::content_length);

    SECTION("a close-delimited body is chunked for an HTTP/1.1 client that keeps the connection") {
        std::string text;
        proxy::write_client_response_head(upstream, "r",
                                          {.version = 11, .keep_alive = true, .add_chunked = true}, text);
        auto const res = parse_head<false>(text);
        CHECK(res.chunked());
        CHECK(res.keep_alive());
    }
    SECTION("an HTTP/1.1 client told the connection closes") {
        std::string text;
        proxy::write_client_response_head(upstream, "r", {.version = 11, .keep_alive = false}, text);
        auto const res = parse_head<false>(text);
        CHECK(res[http::field::connection] == "close");
        CHECK_FALSE(res.keep_alive());
    }
    SECTION("an HTTP/1.0 client gets no Transfer-Encoding and a 1.0 status line") {
        upstream.set(http::field::transfer_encoding, "chunked");
        std::string text;
        proxy::write_client_response_head(
            upstream, "r", {.version = 10, .keep_alive = false, .drop_transfer_encoding = true}, text);
        auto const res = parse_head<false>(text);
        CHECK(text.starts_with("HTTP/1.0 200 Fine\r\n"));
        CHECK(res.count(http::field::transfer_encoding) == 0);
        CHECK_FALSE(res.keep_alive());
    }
    SECTION("a 204 loses Content-Length and Transfer-Encoding, a 304 keeps Content-Length") {
        // RFC 9110 §8.6, RFC 9112 §6.1: neither field in a 204; a 304 may carry Content-Length.
        for (auto const* te : {"", "chunked"}) {
            CAPTURE(te);
            auto no_content = upstream_response();
            no_content.result(http::status::no_content);
            if (*te != '\0') {
                no_content.erase(http::field::content_length);
                no_content.set(http::field::transfer_encoding, te);
            }
            std::string text;
            proxy::write_client_response_head(no_content, "r", {}, text);
            auto const res = parse_head<false>(text);
            CHECK(text.starts_with("HTTP/1.1 204 Fine\r\n"));
            CHECK(res.count(http::field::content_length) == 0);
            CHECK(res.count(http::field::transfer_encoding) == 0);
            CHECK(res[http::field::content_type] == "application/json");
            CHECK(res.keep_alive());
        }
        auto not_modified = upstream_response();
        not_modified.result(http::status::not_modified);
        std::string text;
        proxy::write_client_response_head(not_modified, "r", {}, text);
        CHECK(parse_head<false>(text)[http::field::content_length] == "42");
    }
    SECTION("a status without a reason gets the standard one") {
        upstream.result(http::status::not_found);
        upstream.reason("");
        std::string text;
        proxy::write_client_response_head(upstream, "r", {}, text);
        CHECK(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
    }
}
