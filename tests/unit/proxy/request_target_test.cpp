// check_target: what is routed is exactly what is relayed, so unsafe paths are refused, never fixed.
#include "proxy/target.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace aic;
using aic::proxy::check_target;
using aic::proxy::checked_target;

namespace {

config::security const default_security{};

std::optional<proxy::refusal> check(std::string_view target, http::verb method = http::verb::get) {
    checked_target out;
    return check_target(target, default_security, out, method);
}

}  // namespace

TEST_CASE("check_target refuses unsafe targets with 400", "[target]") {
    auto const target = GENERATE(
        as<std::string>{},
        // empty and protocol-relative
        "", "//evil.example/x", "//", "/\\evil",
        // dot segments: raw, encoded, every case mix, trailing, with matrix parameters
        "/iga/../am", "/iga/..", "/./am", "/am/.", "/am/./x", "/a/%2e%2E/b", "/a/%2E%2e/b", "/a/%2e%2e/b",
        "/a/%2E%2E/b", "/a/.%2e/b", "/a/%2e./b", "/a/.%2E", "/a/%2e", "/a/%2E/b", "/openidm/%2e%2e/am",
        "/iga/..;/am", "/iga/..;x/am", "/iga/.;/am", "/iga/%2e%2e%3b/am",
        // encoded separators in the path, any case
        "/iga/..%2fam/x", "/iga/..%2Fam/x", "/iga%2fam", "/iga%2Fam", "/am%5cx", "/am%5Cx",
        // double-encoded separators (a second decoding upstream would act on them)
        "/iga/%252e%252e/am", "/iga%252fam", "/iga%255cam", "/a%2500",
        // backslash
        "/am\\x", "/am\\..\\iga", "\\am",
        // NUL raw and encoded, path and query
        std::string("/a\0b", 4), "/a%00", "/a?x=%00",
        // control bytes
        "/a\x01", "/a\tb", "/a\x7f", "/a?q=\r\n", "/a%0d%0aX-Injected:%201", "/a%7F", "/a%1f",
        // bytes outside ASCII, raw (RFC 3986 §2: percent-encoded or not at all), path and query
        "/caf\xc3\xa9", "/a\x80", "/a\xff", "/a?q=\xe9", "http://localhost/caf\xc3\xa9",
        // malformed percent escapes
        "%", "/%", "/a%", "/a%2", "/%zz", "/a%g0", "/a?q=%", "/a?q=%zz", "/a?q=%2",
        // not origin-form
        "am/x", "?q", "*", "http://evil.example/am", "https://evil.example/am", "ftp://localhost/am",
        "http://localhost.evil.example/am", "http://user@localhost/am", "http://localhost@evil.example/am",
        "http://localhost:80x/am", "http://localhost?q", "http://localhost/../am",
        // spaces and fragments cannot come from a well-formed request line
        "/a b", "/a#frag",
        // empty segments: an upstream that merges them would see another route's path
        "/environment//secrets", "/a//", "/am/x//");
    CAPTURE(target);
    auto const r = check(target);
    REQUIRE(r);
    CHECK(r->status == http::status::bad_request);
    CHECK(r->error == "bad_request");
    CHECK_FALSE(r->detail.empty());
}

TEST_CASE("check_target accepts origin-form and relays it byte for byte", "[target]") {
    std::string_view const target =
        "/openidm/managed/alpha_user?_queryFilter=userName%20eq%20%22bob%22&x=%2F";
    checked_target out;
    REQUIRE_FALSE(check_target(target, default_security, out));
    CHECK(out.path == "/openidm/managed/alpha_user");
    CHECK(out.query == "_queryFilter=userName%20eq%20%22bob%22&x=%2F");
    CHECK(out.origin_form == target);
    CHECK(out.origin_form.data() == target.data());
}

TEST_CASE("check_target accepts ordinary paths", "[target]") {
    auto const target =
        GENERATE(as<std::string>{}, "/", "/am", "/am/", "/am/json/realms/root/realms/alpha/users", "/a/...",
                 "/a/.../b", "/a/.x", "/a/x.", "/a/..x", "/a/%2e%2e%2e", "/a/%41%42", "/a/b%20c", "/a;v=1/b",
                 "/a?", "/a?q=..&r=/../&s=%5C&t=%2f", "/a?q=a\\b", "/a/%C3%A9", "/a?q=line1%0Aline2",
                 "/a?r=//x", "/_proxy/healthz");
    CAPTURE(target);
    checked_target out;
    REQUIRE_FALSE(check_target(target, default_security, out));
    CHECK(out.origin_form == target);
    CHECK(out.path == target.substr(0, target.find('?')));
}

TEST_CASE("check_target reduces absolute-form with a local host to origin-form", "[target]") {
    checked_target out;
    REQUIRE_FALSE(check_target("http://localhost:8080/am/json?x=1", default_security, out));
    CHECK(out.origin_form == "/am/json?x=1");
    CHECK(out.path == "/am/json");
    CHECK(out.query == "x=1");

    REQUIRE_FALSE(check_target("HTTP://LocalHost/am", default_security, out));
    CHECK(out.origin_form == "/am");

    REQUIRE_FALSE(check_target("http://[::1]:8080/openidm", default_security, out));
    CHECK(out.path == "/openidm");

    REQUIRE_FALSE(check_target("http://127.0.0.1", default_security, out));
    CHECK(out.origin_form == "/");
    CHECK(out.path == "/");
}

TEST_CASE("check_target applies the path checks after absolute-form reduction", "[target]") {
    checked_target out;
    CHECK(check_target("http://localhost/iga/..%2fam", default_security, out));
    CHECK(check_target("http://localhost//evil", default_security, out));
}

TEST_CASE("check_target allows asterisk-form only for OPTIONS", "[target]") {
    checked_target out;
    REQUIRE_FALSE(check_target("*", default_security, out, http::verb::options));
    CHECK(out.path == "*");
    CHECK(out.query.empty());
    auto const r = check_target("*", default_security, out, http::verb::get);
    REQUIRE(r);
    CHECK(r->status == http::status::bad_request);
}

TEST_CASE("host_allowed compares names case-insensitively with any port", "[target]") {
    std::vector<std::string> const allowed{"localhost", "127.0.0.1", "[::1]"};
    CHECK(proxy::host_allowed("localhost", allowed));
    CHECK(proxy::host_allowed("LOCALHOST:8080", allowed));
    CHECK(proxy::host_allowed("127.0.0.1:1", allowed));
    CHECK(proxy::host_allowed("[::1]", allowed));
    CHECK(proxy::host_allowed("[::1]:8080", allowed));
    CHECK_FALSE(proxy::host_allowed("", allowed));
    CHECK_FALSE(proxy::host_allowed(":8080", allowed));
    CHECK_FALSE(proxy::host_allowed("localhost:", allowed));
    CHECK_FALSE(proxy::host_allowed("localhost:80a", allowed));
    CHECK_FALSE(proxy::host_allowed("localhost:123456", allowed));
    CHECK_FALSE(proxy::host_allowed("localhost.", allowed));
    CHECK_FALSE(proxy::host_allowed("evil.example", allowed));
    CHECK_FALSE(proxy::host_allowed("localhost.evil.example", allowed));
    CHECK_FALSE(proxy::host_allowed("::1", allowed));
    CHECK_FALSE(proxy::host_allowed("[::1", allowed));
    CHECK_FALSE(proxy::host_allowed("[::1]x", allowed));
    CHECK_FALSE(proxy::host_allowed("[::2]:8080", allowed));
    // An entry configured without brackets still matches the bracketed Host form.
    CHECK(proxy::host_allowed("[::1]:80", std::vector<std::string>{"::1"}));
}

TEST_CASE("check_host tells a malformed Host from a well-formed foreign one", "[target]") {
    std::vector<std::string> const allowed{"localhost", "127.0.0.1", "[::1]"};
    using proxy::host_verdict;
    for (std::string host : {"localhost", "LocalHost:0", "localhost:65535", "localhost:00080",
                             "127.0.0.1:8080", "[::1]", "[::1]:443"}) {
        CAPTURE(host);
        CHECK(proxy::check_host(host, allowed) == host_verdict::allowed);
    }
    // uri-host [":" port] (RFC 9110 §7.2), naming another host.
    for (std::string host : {"evil.example", "evil.example:8080", "localhost.", "127.0.0.2", "[::2]:80",
                             "[2001:db8::1]", "[::ffff:127.0.0.1]", "[v1.fe80::a+en1]",
                             "a-b_c~d!$&'()*+,;=", "local%68ost", "xn--caf-dma.example"}) {
        CAPTURE(host);
        CHECK(proxy::check_host(host, allowed) == host_verdict::foreign);
    }
    std::vector<std::string> const malformed = {
        // the port: empty, not digits, out of range, twice
        "localhost:", "localhost:abc", "localhost:80a", "localhost:-1", "localhost:+80", "localhost:65536",
        "localhost:99999", "localhost:123456", "localhost:80:80",
        // the name: empty, bytes a reg-name cannot hold, broken escapes, bytes outside ASCII
        "", ":8080", "a b", "a\tb", "user@localhost", "localhost/x", "localhost?x", "localhost#x",
        "localhost\\x", "\"localhost\"", "local%zzhost", "local%6", "localhost%", "caf\xc3\xa9.example",
        // IP literals: unclosed, trailing bytes, empty, not IPv6, zone IDs, bad IPvFuture, unbracketed
        "[::1", "[::1]x", "[::1]:", "[]", "[evil]", "[1.2.3.4]", "[::1%25eth0]", "[v1.]", "[v.x]", "[vz.x]",
        "::1", "[[::1]]"};
    for (auto const& host : malformed) {
        CAPTURE(host);
        CHECK(proxy::check_host(host, allowed) == host_verdict::malformed);
    }
}
