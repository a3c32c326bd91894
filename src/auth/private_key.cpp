// JWK and PEM private keys through OpenSSL 3's provider APIs (EVP_PKEY_fromdata, OSSL_DECODER
// via PEM_read_bio_PrivateKey); no deprecated RSA_* calls.
#include "auth/private_key.hpp"

#include "core/base64.hpp"
#include "core/scope_exit.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <boost/json.hpp>

#include <array>

namespace aic::auth {
namespace {

constexpr int min_rsa_bits = 2048;

bool looks_like_pem(std::string_view text) {
    return text.find("-----BEGIN") != std::string_view::npos;
}

struct bn_deleter {
    void operator()(BIGNUM* bn) const noexcept { BN_clear_free(bn); }
};
using bignum = std::unique_ptr<BIGNUM, bn_deleter>;

boost::json::object parse_jwk(std::string_view text) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    // The parser's message may quote the input; say only where it failed.
    if (ec) throw key_error("key is neither PEM nor valid JSON (JWK)");
    if (!value.is_object()) throw key_error("JWK: expected a JSON object");
    return std::move(value.as_object());
}

std::string jwk_string(boost::json::object const& jwk, char const* member, bool required) {
    auto const* v = jwk.if_contains(member);
    if (!v) {
        if (required) throw key_error(std::string("JWK: missing member \"") + member + "\"");
        return {};
    }
    if (!v->is_string()) throw key_error(std::string("JWK: member \"") + member + "\" must be a string");
    return std::string(v->as_string());
}

bignum jwk_number(boost::json::object const& jwk, char const* member) {
    auto const bytes = base64url_decode(jwk_string(jwk, member, true));
    if (!bytes || bytes->empty())
        throw key_error(std::string("JWK: member \"") + member + "\" is not base64url");
    bignum bn{BN_bin2bn(reinterpret_cast<unsigned char const*>(bytes->data()),
                        static_cast<int>(bytes->size()), nullptr)};
    if (!bn) throw key_error("JWK: out of memory");
    return bn;
}

private_key key_from_jwk(boost::json::object const& jwk) {
    if (jwk_string(jwk, "kty", true) != "RSA") throw key_error("JWK: kty must be \"RSA\"");
    if (!jwk.contains("d"))
        throw key_error("JWK: this is a public key (no \"d\"); the private key is needed");

    struct component {
        char const* jwk_name;
        char const* param_name;
    };
    static constexpr std::array<component, 8> components{{
        {"n", OSSL_PKEY_PARAM_RSA_N},
        {"e", OSSL_PKEY_PARAM_RSA_E},
        {"d", OSSL_PKEY_PARAM_RSA_D},
        {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
        {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
        {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
    }};
    std::array<bignum, components.size()> numbers;
    OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
    if (!builder) throw key_error("JWK: out of memory");
    auto free_builder = scope_exit([&] { OSSL_PARAM_BLD_free(builder); });
    for (std::size_t i = 0; i < components.size(); ++i) {
        // The CRT members are optional in JWK (RFC 7518 §6.3.2), but AIC always writes them.
        if (i >= 3 && !jwk.contains(components[i].jwk_name)) {
            if (i == 3) throw key_error("JWK: missing CRT members p, q, dp, dq, qi");
            continue;
        }
        numbers[i] = jwk_number(jwk, components[i].jwk_name);
        if (!OSSL_PARAM_BLD_push_BN(builder, components[i].param_name, numbers[i].get()))
            throw key_error("JWK: out of memory");
    }
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
    if (!params) throw key_error("JWK: out of memory");
    auto free_params = scope_exit([&] { OSSL_PARAM_free(params); });

    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    if (!ctx) throw key_error("JWK: RSA is not available in this OpenSSL");
    auto free_ctx = scope_exit([&] { EVP_PKEY_CTX_free(ctx); });
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_KEYPAIR, params) <= 0) {
        ERR_clear_error();
        throw key_error("JWK: the RSA components do not form a valid key");
    }
    private_key key{raw};

    // fromdata does not prove that d matches n/e; a pairwise check does.
    EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr);
    if (!check) throw key_error("JWK: out of memory");
    auto free_check = scope_exit([&] { EVP_PKEY_CTX_free(check); });
    if (EVP_PKEY_pairwise_check(check) != 1) {
        ERR_clear_error();
        throw key_error("JWK: the private and public halves do not match");
    }
    return key;
}

private_key key_from_pem(std::string_view text) {
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    if (!bio) throw key_error("PEM: out of memory");
    auto free_bio = scope_exit([&] { BIO_free(bio); });
    // A null password callback with an empty passphrase: encrypted keys fail instead of prompting.
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(
        bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
    if (!raw) {
        ERR_clear_error();
        throw key_error("PEM: not an unencrypted private key (PKCS#1 or PKCS#8)");
    }
    return private_key{raw};
}

void require_rsa_2048(private_key const& key) {
    if (!EVP_PKEY_is_a(key.get(), "RSA")) throw key_error("key is not an RSA key (RS256 needs RSA)");
    if (EVP_PKEY_get_bits(key.get()) < min_rsa_bits)
        throw key_error("RSA key has " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                        " bits; at least 2048 needed");
}

}  // namespace

private_key load_private_key(std::string_view text) {
    private_key key = looks_like_pem(text) ? key_from_pem(text) : key_from_jwk(parse_jwk(text));
    require_rsa_2048(key);
    return key;
}

std::string describe_key(std::string_view text) {
    private_key const key = load_private_key(text);
    std::string out = "RSA " + std::to_string(EVP_PKEY_get_bits(key.get())) + "-bit";
    if (looks_like_pem(text)) return out + " (PEM)";
    auto const jwk = parse_jwk(text);
    std::string const kid = jwk_string(jwk, "kid", false);
    return out + (kid.empty() ? " (JWK)" : " (JWK, kid=" + kid + ")");
}

}  // namespace aic::auth
