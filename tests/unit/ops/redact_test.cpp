// redact(): each secret shape in text, JSON and form lines is replaced; ordinary lines are untouched.
#include "ops/logging.hpp"

#include <catch2/catch.hpp>

#include <string>

using aic::ops::redact;

namespace {
constexpr char const* jwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzYSIsImF1ZCI6Imh0dHBzOi8veCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
}

TEST_CASE("secret shapes are redacted", "[redact]") {
    std::string const j = jwt;
    struct row {
        std::string in;
        std::string expected;
    };
    auto const rows = GENERATE_COPY(values<row>({
        // Authorization schemes, any case.
        {"sending Bearer abc.def-ghi_123 upstream", "sending Bearer [REDACTED] upstream"},
        {"bearer   tok/en+=", "bearer   [REDACTED]"},
        {"got BASIC dXNlcjpwYXNz.", "got BASIC [REDACTED]"},
        // JWTs anywhere, including JWE (five segments) and unsigned.
        {"assertion built: " + j + " ok", "assertion built: [REDACTED] ok"},
        {"token=" + j, "token=[REDACTED]"},
        {"jwe eyJhbGciOiJSU0EifQ.a.b.c.d end", "jwe [REDACTED] end"},
        {"unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. end", "unsigned [REDACTED] end"},
        // JSON bodies.
        {R"({"access_token":"abc","expires_in":899})", R"({"access_token":"[REDACTED]","expires_in":899})"},
        {R"({"token_type":"Bearer", "refresh_token" : "r1", "id_token":"i1"})",
         R"({"token_type":"Bearer", "refresh_token" : "[REDACTED]", "id_token":"[REDACTED]"})"},
        {R"({"client_secret":"s3\"cr\\et","password":"pw"})",
         R"({"client_secret":"[REDACTED]","password":"[REDACTED]"})"},
        {R"(body: {\"assertion\":\"xyz\"} sent)", R"(body: {\"assertion\":\"[REDACTED]\"} sent)"},
        {R"({"password": 12345, "user":"bob"})", R"({"password": [REDACTED], "user":"bob"})"},
        // Form bodies and query strings.
        {"grant_type=client_credentials&client_secret=s3cr3t&scope=fr:idm:*",
         "grant_type=client_credentials&client_secret=[REDACTED]&scope=fr:idm:*"},
        {"client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=abc",
         "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=["
         "REDACTED]"},
        {"assertion=abc&grant_type=x", "assertion=[REDACTED]&grant_type=x"},
        {"GET /cb?access_token=abc&state=1", "GET /cb?access_token=[REDACTED]&state=1"},
        {"password=hunter2 rest", "password=[REDACTED] rest"},
        // Header lines.
        {"Authorization: Bearer abc def", "Authorization: [REDACTED]"},
        {"authorization: Basic dXNlcjpwYXNz", "authorization: [REDACTED]"},
        {"Cookie: a=b; session=c\r\nHost: x", "Cookie: [REDACTED]\r\nHost: x"},
        {"Set-Cookie: sid=1; HttpOnly", "Set-Cookie: [REDACTED]"},
        {"X-API-Secret: abc", "X-API-Secret: [REDACTED]"},
        {"x-proxy-key:k3y", "x-proxy-key:[REDACTED]"},
        {R"({"Authorization":"Bearer x","Accept":"*/*"})",
         R"({"Authorization":"[REDACTED]","Accept":"*/*"})"},
    }));
    INFO(rows.in);
    CHECK(redact(rows.in) == rows.expected);
}

TEST_CASE("ordinary lines are unchanged", "[redact]") {
    auto const line =
        GENERATE(as<std::string>{},  //
                 "",                 //
                 "listening on 127.0.0.1:8080",
                 "token for credential sa (scopes fr:idm:*) refreshed, expires in 899 s",
                 R"({"error":"invalid_client","error_description":"bad client"})",
                 "GET /openidm/managed/alpha_user?_queryFilter=true 200",
                 "grant_type=client_credentials&scope=fr:idm:*",
                 "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                 "passwords_expire=30 cookies=2 x-api-key: visible", "eyJustAWord and eyJ.x",
                 "Host: localhost:8080\r\nAccept: */*", "upstream 502: connect refused after 5000 ms");
    CHECK(redact(line) == line);
}

TEST_CASE("several secrets in one line are all redacted", "[redact]") {
    std::string const line = std::string("Authorization: Bearer ") + jwt;
    auto const many = R"({"access_token":"a1","refresh_token":"r1"} then Bearer tok and )" + std::string(jwt);
    auto const out = redact(many);
    CHECK(out.find("a1") == std::string::npos);
    CHECK(out.find("r1") == std::string::npos);
    CHECK(out.find("tok ") == std::string::npos);
    CHECK(out.find("eyJ") == std::string::npos);
    CHECK(redact(line).find("eyJ") == std::string::npos);
}
