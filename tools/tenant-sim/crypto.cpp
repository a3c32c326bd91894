// Encoding, hashing and RSA helpers on OpenSSL 3's EVP/param APIs (see crypto.hpp).
#include "crypto.hpp"

#include "tenant_sim.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>

#include <array>
#include <stdexcept>

namespace aic::sim {
namespace {

constexpr char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view bytes, char const* alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned const v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    std::size_t const rest = bytes.size() - i;
    if (rest == 1) {
        unsigned const v = byte(i) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        unsigned const v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        if (pad) out += '=';
    }
    return out;
}

std::optional<std::string> decode(std::string_view text, char const* alphabet) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::array<int, 256> map{};
    map.fill(-1);
    for (int k = 0; k < 64; ++k) map[static_cast<unsigned char>(alphabet[k])] = k;
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        int const v = map[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

struct bn_deleter {
    void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

bn_ptr bn_from_b64url(boost::json::object const& jwk, char const* name) {
    auto const* v = jwk.if_contains(name);
    if (!v || !v->is_string()) return nullptr;
    auto const bytes = b64url_decode(v->as_string());
    if (!bytes || bytes->empty()) return nullptr;
    return bn_ptr{BN_bin2bn(reinterpret_cast<unsigned char const*>(bytes->data()),
                            static_cast<int>(bytes->size()), nullptr)};
}

std::string b64url_of_param(EVP_PKEY* key, char const* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) throw std::runtime_error("RSA key lacks a parameter");
    bn_ptr bn{raw};
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
    return b64url_encode(bytes);
}

struct md_ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~md_ctx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string b64_encode(std::string_view bytes) {
    return encode(bytes, std_alphabet, true);
}
std::optional<std::string> b64_decode(std::string_view text) {
    return decode(text, std_alphabet);
}
std::string b64url_encode(std::string_view bytes) {
    return encode(bytes, url_alphabet, false);
}
std::optional<std::string> b64url_decode(std::string_view text) {
    if (text.find('=') != std::string_view::npos) return std::nullopt;
    return decode(text, url_alphabet);
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return out;
}

std::string random_token() {
    return b64url_encode(random_bytes(32));
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) {
        auto const b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string random_uuid() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40);
    b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80);
    std::string const h = hex(b);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
           h.substr(20);
}

sha256::sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256 init");
}
sha256::~sha256() {
    EVP_MD_CTX_free(ctx_);
}
void sha256::update(void const* data, std::size_t n) {
    if (n > 0) EVP_DigestUpdate(ctx_, data, n);
}
std::string sha256::hex_digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    return hex(std::string_view{reinterpret_cast<char const*>(md), len});
}

pkey_ptr pkey_from_jwk(std::string_view jwk_json) {
    boost::system::error_code ec;
    auto const value = boost::json::parse(jwk_json, ec);
    if (ec || !value.is_object()) return nullptr;
    auto const& jwk = value.as_object();
    auto const* kty = jwk.if_contains("kty");
    if (!kty || !kty->is_string() || kty->as_string() != "RSA") return nullptr;

    bn_ptr n = bn_from_b64url(jwk, "n");
    bn_ptr e = bn_from_b64url(jwk, "e");
    if (!n || !e) return nullptr;
    bn_ptr d = bn_from_b64url(jwk, "d");
    bn_ptr p = bn_from_b64url(jwk, "p"), q = bn_from_b64url(jwk, "q");
    bn_ptr dp = bn_from_b64url(jwk, "dp"), dq = bn_from_b64url(jwk, "dq"), qi = bn_from_b64url(jwk, "qi");
    bool const with_crt = p && q && dp && dq && qi;

    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (!bld) return nullptr;
    bool ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n.get()) == 1 &&
              OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e.get()) == 1;
    if (ok && d) ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d.get()) == 1;
    if (ok && d && with_crt) {
        ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) == 1 &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) == 1 &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get()) == 1 &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()) == 1 &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi.get()) == 1;
    }
    OSSL_PARAM* params = ok ? OSSL_PARAM_BLD_to_param(bld) : nullptr;
    OSSL_PARAM_BLD_free(bld);
    if (!params) return nullptr;

    EVP_PKEY* key = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1) {
        EVP_PKEY_fromdata(ctx, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey_ptr{key};
}

pkey_ptr generate_rsa(int bits) {
    EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned int>(bits));
    if (!key) throw std::runtime_error("RSA key generation failed");
    return pkey_ptr{key};
}

std::string jwk_of(EVP_PKEY* key, bool include_private, std::string const& kid) {
    boost::json::object jwk;
    jwk["kty"] = "RSA";
    jwk["n"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_N);
    jwk["e"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_E);
    if (include_private) {
        jwk["d"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_D);
        jwk["p"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_FACTOR1);
        jwk["q"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_FACTOR2);
        jwk["dp"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_EXPONENT1);
        jwk["dq"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_EXPONENT2);
        jwk["qi"] = b64url_of_param(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    }
    if (!kid.empty()) jwk["kid"] = kid;
    return boost::json::serialize(jwk);
}

bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
    md_ctx md;
    if (!md.ctx || EVP_DigestVerifyInit(md.ctx, nullptr, EVP_sha256(), nullptr, key) != 1) return false;
    return EVP_DigestVerify(md.ctx, reinterpret_cast<unsigned char const*>(signature.data()),
                            signature.size(), reinterpret_cast<unsigned char const*>(signing_input.data()),
                            signing_input.size()) == 1;
}

std::string sign_rs256(EVP_PKEY* key, std::string_view signing_input) {
    md_ctx md;
    if (!md.ctx || EVP_DigestSignInit(md.ctx, nullptr, EVP_sha256(), nullptr, key) != 1)
        throw std::runtime_error("sign init failed");
    auto const* in = reinterpret_cast<unsigned char const*>(signing_input.data());
    std::size_t len = 0;
    if (EVP_DigestSign(md.ctx, nullptr, &len, in, signing_input.size()) != 1)
        throw std::runtime_error("sign");
    std::string sig(len, '\0');
    if (EVP_DigestSign(md.ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                       signing_input.size()) != 1)
        throw std::runtime_error("sign");
    sig.resize(len);
    return sig;
}

std::string generate_rsa_key_jwk(int bits) {
    auto key = generate_rsa(bits);
    return jwk_of(key.get(), true, random_uuid());
}

std::string public_jwk_of(std::string const& private_jwk) {
    auto const value = boost::json::parse(private_jwk);
    boost::json::object out;
    for (char const* name : {"kty", "n", "e", "kid", "alg", "use"}) {
        if (auto const* v = value.as_object().if_contains(name)) out[name] = *v;
    }
    return boost::json::serialize(out);
}

}  // namespace aic::sim
