// The RFC 7523 assertion: its claims exactly as design.md §2 lists them, a signature the public
// half verifies; and the form/Basic encodings the token requests use.
#include "auth/jwt.hpp"
#include "auth/form.hpp"
#include "auth/sources.hpp"
#include "core/base64.hpp"
#include "fixture.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace aic;

namespace {

std::vector<std::string> split_dots(std::string_view jwt) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t dot; (dot = jwt.find('.', start)) != std::string_view::npos; start = dot + 1)
        parts.emplace_back(jwt.substr(start, dot - start));
    parts.emplace_back(jwt.substr(start));
    return parts;
}

bool verifies(EVP_PKEY* key, std::string_view jwt) {
    auto const last = jwt.rfind('.');
    auto const signature = base64url_decode(jwt.substr(last + 1)).value();
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool const ok =
        EVP_DigestVerifyInit_ex(md, nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
        EVP_DigestVerify(md, reinterpret_cast<unsigned char const*>(signature.data()), signature.size(),
                         reinterpret_cast<unsigned char const*>(jwt.data()), last) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

}  // namespace

TEST_CASE("base64url round-trips every byte value without padding", "[jwt]") {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
        auto const encoded = base64url_encode(all.substr(0, n));
        CHECK(encoded.find_first_of("+/=") == std::string::npos);
        CHECK(base64url_decode(encoded) == all.substr(0, n));
    }
    CHECK_FALSE(base64url_decode("a+b/").has_value());
    CHECK_FALSE(base64url_decode("abcde").has_value());
}

TEST_CASE("the assertion carries the claims AM checks and a valid RS256 signature", "[jwt]") {
    auto key = auth::load_private_key(sim::generate_rsa_key_jwk());
    std::string const audience = "https://tenant.example.com:443/am/oauth2/access_token";
    auto const before =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto const jwt = auth::make_assertion(key.get(), test::account_id, audience, std::chrono::seconds(180));
    auto const parts = split_dots(jwt.reveal());
    REQUIRE(parts.size() == 3);

    auto const header = boost::json::parse(base64url_decode(parts[0]).value()).as_object();
    CHECK(header.at("alg") == "RS256");
    CHECK_FALSE(header.contains("kid"));
    auto const claims = boost::json::parse(base64url_decode(parts[1]).value()).as_object();
    CHECK(claims.at("iss") == test::account_id);
    CHECK(claims.at("sub") == test::account_id);
    CHECK(claims.at("aud").as_string() == audience);
    auto const exp = claims.at("exp").as_int64();
    CHECK(exp - claims.at("iat").as_int64() == 180);
    CHECK(exp >= before + 180);
    std::regex const uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    CHECK(std::regex_match(std::string(claims.at("jti").as_string()), uuid));
    CHECK(verifies(key.get(), jwt.reveal()));

    auto other = auth::load_private_key(sim::generate_rsa_key_jwk());
    CHECK_FALSE(verifies(other.get(), jwt.reveal()));
}

TEST_CASE("every assertion has a fresh jti", "[jwt]") {
    auto key = auth::load_private_key(sim::generate_rsa_key_jwk());
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i) {
        auto const claims = boost::json::parse(
            auth::assertion_claims("a", "b", std::chrono::system_clock::now(), std::chrono::seconds(180)));
        ids.insert(std::string(claims.at("jti").as_string()));
    }
    CHECK(ids.size() == 50);
}

TEST_CASE("the audience is the token endpoint with an explicit port, never a doubled one", "[jwt]") {
    CHECK(parse_https_url("https://tenant.example.com/am/oauth2/access_token")->with_explicit_port() ==
          "https://tenant.example.com:443/am/oauth2/access_token");
    CHECK(parse_https_url("https://tenant.example.com:443/am/oauth2/access_token")->with_explicit_port() ==
          "https://tenant.example.com:443/am/oauth2/access_token");
    CHECK(parse_https_url("https://localhost:8443/am/oauth2/access_token")->with_explicit_port() ==
          "https://localhost:8443/am/oauth2/access_token");
}

TEST_CASE("form encoding and RFC 6749 §2.3.1 Basic credentials", "[form]") {
    CHECK(auth::form_encode("fr:idm:* fr:iga:*") == "fr%3Aidm%3A%2A+fr%3Aiga%3A%2A");
    CHECK(auth::form_encode(test::client_secret) == "s3cr%3At%2F%2B%25%26%3D%C3%A9");
    CHECK(auth::form_body({{"a", "1 2"}, {"b&", "="}}) == "a=1+2&b%26=%3D");
    // base64("iga-client:s3cr%3At%2F%2B%25%26%3D%C3%A9")
    CHECK(auth::basic_authorization(test::client_id, test::client_secret).reveal() ==
          "Basic " + base64_encode("iga-client:s3cr%3At%2F%2B%25%26%3D%C3%A9"));
}
