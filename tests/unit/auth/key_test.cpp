// Loading the service account's key: the JWK AIC downloads, PEM, and every way a key is unusable.
#include "auth/private_key.hpp"
#include "fixture.hpp"

#include <openssl/pem.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace aic;
using aic::auth::key_error;

namespace {

std::string pem_of(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

std::string message_of(std::string const& text) {
    try {
        (void)auth::load_private_key(text);
    } catch (key_error const& e) {
        return e.what();
    }
    return "loaded";
}

}  // namespace

TEST_CASE("a JWK private key as AIC downloads it loads and is described without secrets", "[key]") {
    auto const jwk = sim::generate_rsa_key_jwk();
    auto key = auth::load_private_key(jwk);
    REQUIRE(key);
    CHECK(EVP_PKEY_get_bits(key.get()) == 2048);
    auto const description = auth::describe_key(jwk);
    CHECK(description.rfind("RSA 2048-bit (JWK", 0) == 0);
    auto const d = boost::json::parse(jwk).at("d").as_string();
    CHECK(description.find(std::string(d).substr(0, 16)) == std::string::npos);
}

TEST_CASE("a PEM private key (PKCS#8) loads", "[key]") {
    auto const pem = test::read_file(test::pki("localhost.key"));
    REQUIRE(pem.find("PRIVATE KEY") != std::string::npos);
    auto key = auth::load_private_key(pem);
    CHECK(EVP_PKEY_get_bits(key.get()) == 2048);
    CHECK(auth::describe_key(pem) == "RSA 2048-bit (PEM)");
}

TEST_CASE("unusable keys are refused with a reason that quotes no key material", "[key]") {
    auto const jwk = boost::json::parse(sim::generate_rsa_key_jwk()).as_object();
    auto const other = boost::json::parse(sim::generate_rsa_key_jwk()).as_object();

    SECTION("the public half only") {
        CHECK(message_of(sim::public_jwk_of(boost::json::serialize(jwk))).find("public key") !=
              std::string::npos);
    }
    SECTION("halves of two different keys") {
        auto mixed = jwk;
        mixed["d"] = other.at("d");
        auto const msg = message_of(boost::json::serialize(mixed));
        CHECK(msg.find("JWK") != std::string::npos);
        CHECK(msg != "loaded");
        CHECK(msg.find(std::string(other.at("d").as_string()).substr(0, 12)) == std::string::npos);
    }
    SECTION("a component that is not base64url") {
        auto broken = jwk;
        broken["n"] = "not base64url!";
        CHECK(message_of(boost::json::serialize(broken)) == "JWK: member \"n\" is not base64url");
    }
    SECTION("not RSA") {
        auto ec = jwk;
        ec["kty"] = "EC";
        CHECK(message_of(boost::json::serialize(ec)) == "JWK: kty must be \"RSA\"");
        EVP_PKEY* p256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        CHECK(message_of(pem_of(p256)) == "key is not an RSA key (RS256 needs RSA)");
        EVP_PKEY_free(p256);
    }
    SECTION("too short") {
        EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
        CHECK(message_of(pem_of(small)) == "RSA key has 1024 bits; at least 2048 needed");
        EVP_PKEY_free(small);
    }
    SECTION("neither PEM nor JSON") {
        CHECK(message_of("hello") == "key is neither PEM nor valid JSON (JWK)");
        CHECK(message_of("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") ==
              "PEM: not an unencrypted private key (PKCS#1 or PKCS#8)");
    }
}
