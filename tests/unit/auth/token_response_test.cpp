// A token endpoint's answer, interpreted without the network: what is taken as a token, and the
// values refused before they could reach a request head.
#include "auth/token_request.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace aic;

namespace {

auth::token_request request() {
    return auth::token_request{"sa",
                               parse_https_url("https://tenant.example.com/am/oauth2/access_token").value(),
                               secret("grant_type=x"),
                               std::nullopt,
                               {"fr:idm:*"}};
}

auth::token_result parse(std::string const& body) {
    return auth::parse_token_response(request(), 200, body, boot_clock::now());
}

std::string answer(std::string const& token_json) {
    return R"({"access_token":)" + token_json + R"(,"token_type":"Bearer","expires_in":899})";
}

}  // namespace

TEST_CASE("a well-formed answer gives its token", "[token_response]") {
    auto const r = parse(answer(R"("eyJ0eXAi.abc-_~+/=")"));
    REQUIRE(r.has_value());
    CHECK(r->value.reveal() == "eyJ0eXAi.abc-_~+/=");
    CHECK(r->lifetime == std::chrono::seconds{899});
}

TEST_CASE("a token holding a CR, LF or NUL is refused, and not quoted", "[token_response]") {
    for (std::string const bad :
         {R"("secret-part\r\nX-Injected: 1")", R"("secret-part\nmore")", R"("secret-part\u0000more")"}) {
        INFO(bad);
        auto const r = parse(answer(bad));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().error == "malformed_response");
        CHECK(r.error().description.find("secret-part") == std::string::npos);
    }
}

TEST_CASE("injected headers keep a value only when a head can carry it", "[token_response]") {
    auth::injected_headers h;
    CHECK(h.add("Authorization", secret("Bearer good")));
    CHECK_FALSE(h.add("X-Api-Key", secret("key\r\nX-Injected: 1")));
    CHECK_FALSE(h.add("X-Api-Key", secret(std::string("key\0x", 5))));
    CHECK(h.add("X-Api-Secret", secret("tab\tand obs-text \xff")));
    REQUIRE(h.fields().size() == 2);
    CHECK(h.fields()[0].first == "Authorization");
    CHECK(h.fields()[1].first == "X-Api-Secret");
}
