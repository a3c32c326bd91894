// Both grants against the simulator over loopback TLS: what it accepts, each claim it refuses,
// Basic encoding with special characters, and the errors an operator sees.
#include "auth/form.hpp"
#include "auth/jwt.hpp"
#include "auth/sources.hpp"
#include "auth/token_request.hpp"
#include "core/base64.hpp"
#include "fixture.hpp"

#include <openssl/core_names.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace aic;
using namespace std::chrono_literals;

namespace {

net_tls::exchange_limits const limits{{5s, 5s}, 10s, 1 << 20};

auth::token_result fetch(auth::token_source& source, std::vector<std::string> scopes) {
    return test::run<auth::token_result>([&]() { return source.fetch(scopes); });
}

// Sends a hand-made JWT bearer request: the way to present each broken claim to the simulator.
auth::token_result send_assertion(test::sim_fixture& f, std::string const& jwt,
                                  std::string const& client_id = "service-account") {
    auth::token_request request{
        "sa",
        f.url("/am/oauth2/access_token"),
        secret(auth::form_body({{"client_id", client_id},
                                {"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                                {"assertion", jwt},
                                {"scope", "fr:idm:*"}})),
        std::nullopt,
        {"fr:idm:*"}};
    return test::run<auth::token_result>(
        [&]() { return auth::request_token(*f.tls, std::move(request), limits); });
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The public JWK of a PEM key, for registering a PEM-configured account with the simulator.
std::string public_jwk_of_key(EVP_PKEY* key) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    auto bytes = [](BIGNUM* bn) {
        std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
        BN_free(bn);
        return base64url_encode(out);
    };
    boost::json::object jwk{{"kty", "RSA"}, {"n", bytes(n)}, {"e", bytes(e)}};
    return boost::json::serialize(jwk);
}

}  // namespace

TEST_CASE("service account: the simulator accepts our assertion and grants the scopes as a set", "[grant]") {
    test::sim_fixture f;
    auto source = auth::make_service_account_source(*f.tls, f.service_account(),
                                                    auth::load_private_key(f.private_jwk), 180s, limits);
    auto const result = fetch(*source, {"fr:am:*", "fr:idm:*"});
    REQUIRE(result.has_value());
    CHECK_FALSE(result->value.empty());
    CHECK(result->lifetime == 899s);
    CHECK(result->scopes == std::vector<std::string>{"fr:am:*", "fr:idm:*"});
    CHECK(f.sim->stats().tokens_issued == 1);
}

TEST_CASE("service account: a PEM key works as well as a JWK", "[grant]") {
    auto const pem = test::read_file(test::pki("localhost.key"));
    auto key = auth::load_private_key(pem);
    auto const public_jwk = public_jwk_of_key(key.get());
    test::sim_fixture f([&](sim::options& o) { o.service_accounts[0].public_jwk = public_jwk; });
    auto source =
        auth::make_service_account_source(*f.tls, f.service_account(pem), std::move(key), 180s, limits);
    auto const result = fetch(*source, {"fr:idm:*"});
    CHECK(result.has_value());
}

TEST_CASE("service account: every broken claim is refused", "[grant]") {
    test::sim_fixture f;
    auto key = auth::load_private_key(f.private_jwk);
    std::string const aud = f.url("/am/oauth2/access_token").with_explicit_port();
    auto claims = [&](std::function<void(boost::json::object&)> change) {
        boost::json::object c{{"iss", test::account_id},
                              {"sub", test::account_id},
                              {"aud", aud},
                              {"exp", now_s() + 180},
                              {"jti", auth::random_uuid()}};
        change(c);
        return boost::json::serialize(c);
    };
    std::string const header = R"({"alg":"RS256"})";
    auto signed_jwt = [&](std::function<void(boost::json::object&)> change) {
        return std::string(auth::sign_rs256(key.get(), header, claims(change)).reveal());
    };

    SECTION("the unchanged assertion is accepted (the control)") {
        CHECK(send_assertion(f, signed_jwt([](auto&) {})).has_value());
    }
    SECTION("wrong issuer") {
        auto r = send_assertion(f, signed_jwt([](auto& c) {
                                    c["iss"] = "someone-else";
                                    c["sub"] = "someone-else";
                                }));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().error == "invalid_grant");
        CHECK(r.error().http_status == 400);
    }
    SECTION("sub differs from iss") {
        CHECK_FALSE(send_assertion(f, signed_jwt([](auto& c) { c["sub"] = "other"; })).has_value());
    }
    SECTION("audience without the explicit port") {
        std::string const no_port = "https://localhost/am/oauth2/access_token";
        CHECK_FALSE(send_assertion(f, signed_jwt([&](auto& c) { c["aud"] = no_port; })).has_value());
    }
    SECTION("audience of another endpoint") {
        auto const other = f.url("/am/oauth2/realms/root/realms/alpha/access_token").with_explicit_port();
        CHECK_FALSE(send_assertion(f, signed_jwt([&](auto& c) { c["aud"] = other; })).has_value());
    }
    SECTION("expired") {
        CHECK_FALSE(send_assertion(f, signed_jwt([](auto& c) { c["exp"] = now_s() - 10; })).has_value());
    }
    SECTION("expiring more than 30 minutes ahead") {
        CHECK_FALSE(
            send_assertion(f, signed_jwt([](auto& c) { c["exp"] = now_s() + 1801 + 5; })).has_value());
    }
    SECTION("no jti") {
        CHECK_FALSE(send_assertion(f, signed_jwt([](auto& c) { c.erase("jti"); })).has_value());
    }
    SECTION("a replayed jti") {
        auto const jwt = signed_jwt([](auto&) {});
        CHECK(send_assertion(f, jwt).has_value());
        auto const replay = send_assertion(f, jwt);
        REQUIRE_FALSE(replay.has_value());
        CHECK(replay.error().error == "invalid_grant");
    }
    SECTION("signed by another key") {
        auto other = auth::load_private_key(sim::generate_rsa_key_jwk());
        auto const jwt = auth::sign_rs256(other.get(), header, claims([](auto&) {}));
        CHECK_FALSE(send_assertion(f, std::string(jwt.reveal())).has_value());
    }
    SECTION("alg none") {
        auto const unsigned_jwt =
            base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims([](auto&) {})) + ".";
        CHECK_FALSE(send_assertion(f, unsigned_jwt).has_value());
    }
    SECTION("client_id other than the literal service-account") {
        auto r = send_assertion(f, signed_jwt([](auto&) {}), test::account_id);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().error == "invalid_client");
    }
    CHECK(f.sim->stats().token_requests >= 1);
}

TEST_CASE("service account: invalid_scope surfaces the scopes the account lacks", "[grant]") {
    test::sim_fixture f;
    auto source = auth::make_service_account_source(*f.tls, f.service_account(),
                                                    auth::load_private_key(f.private_jwk), 180s, limits);
    auto const r = fetch(*source, {"fr:idc:esv:*", "fr:idm:*"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().error == "invalid_scope");
    CHECK(r.error().http_status == 400);
    CHECK(r.error().credential == "sa");
    CHECK(r.error().description.find("fr:idc:esv:*") != std::string::npos);
    CHECK(r.error().description.find("fr:idm:*") == std::string::npos);
}

TEST_CASE("client credentials: Basic with RFC 6749 §2.3.1 encoding of a secret with special characters",
          "[grant]") {
    test::sim_fixture f;
    auto source = auth::make_client_credentials_source(*f.tls, f.client(), limits);
    auto const r = fetch(*source, {"fr:idm:*", "fr:iga:*"});
    REQUIRE(r.has_value());
    CHECK(r->lifetime == 3600s);
    CHECK(r->scopes == std::vector<std::string>{"fr:idm:*", "fr:iga:*"});
}

TEST_CASE("client credentials: the same secret sent without the form encoding is refused", "[grant]") {
    test::sim_fixture f;
    auth::token_request request{
        "iga",
        f.url("/am/oauth2/realms/root/realms/alpha/access_token"),
        secret(auth::form_body({{"grant_type", "client_credentials"}, {"scope", "fr:iga:*"}})),
        secret("Basic " + base64_encode(std::string(test::client_id) + ":" + test::client_secret)),
        {"fr:iga:*"}};
    auto const r = test::run<auth::token_result>(
        [&]() { return auth::request_token(*f.tls, std::move(request), limits); });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().error == "invalid_client");
    CHECK(r.error().http_status == 401);
}

TEST_CASE("client credentials: client_secret_post", "[grant]") {
    test::sim_fixture f;
    auto source =
        auth::make_client_credentials_source(*f.tls, f.client(config::client_auth_method::post), limits);
    CHECK(fetch(*source, {"fr:iga:*"}).has_value());
}

TEST_CASE("client credentials: a wrong secret reports the endpoint's error, never the secret", "[grant]") {
    test::sim_fixture f;
    auto credential = f.client();
    credential.client_secret = secret("wrong-secret-value");
    auto source = auth::make_client_credentials_source(*f.tls, credential, limits);
    auto const r = fetch(*source, {"fr:iga:*"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().error == "invalid_client");
    CHECK(r.error().endpoint == f.url("/am/oauth2/realms/root/realms/alpha/access_token").text());
    CHECK(r.error().description.find("wrong-secret-value") == std::string::npos);
}

TEST_CASE("token endpoint faults become errors, not exceptions or hangs", "[grant]") {
    test::sim_fixture f;
    auto source = auth::make_client_credentials_source(*f.tls, f.client(), {{5s, 5s}, 500ms, 1 << 20});
    SECTION("5xx") {
        f.sim->set_token_fault(sim::token_fault::http_500);
        auto const r = fetch(*source, {"fr:iga:*"});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().http_status == 500);
    }
    SECTION("garbage JSON") {
        f.sim->set_token_fault(sim::token_fault::garbage_json);
        auto const r = fetch(*source, {"fr:iga:*"});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().error == "malformed_response");
    }
    SECTION("no answer: the whole-request deadline") {
        f.sim->set_token_fault(sim::token_fault::hang);
        auto const r = fetch(*source, {"fr:iga:*"});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().error == "timeout");
    }
}

TEST_CASE("an untrusted token endpoint certificate is refused before anything is sent", "[grant]") {
    test::sim_fixture f([](sim::options& o) {
        o.cert_file = test::pki("rogue-localhost.pem");
        o.key_file = test::pki("rogue-localhost.key");
    });
    auto source = auth::make_client_credentials_source(*f.tls, f.client(), limits);
    auto const r = fetch(*source, {"fr:iga:*"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().error == "tls");
    CHECK(r.error().description.find("certificate verify failed") != std::string::npos);
    CHECK(f.sim->stats().token_requests == 0);
}
