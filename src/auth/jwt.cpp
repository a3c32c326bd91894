#include "auth/jwt.hpp"

#include "core/base64.hpp"
#include "core/scope_exit.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <boost/json.hpp>

#include <array>
#include <cstdio>

namespace aic::auth {

secret sign_rs256(EVP_PKEY* key, std::string_view header_json, std::string_view claims_json) {
    std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(claims_json);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    if (!md) throw key_error("signing: out of memory");
    auto free_md = scope_exit([&] { EVP_MD_CTX_free(md); });
    std::size_t length = 0;
    auto const* input = reinterpret_cast<unsigned char const*>(signing_input.data());
    if (EVP_DigestSignInit_ex(md, nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
        EVP_DigestSign(md, nullptr, &length, input, signing_input.size()) != 1) {
        ERR_clear_error();
        throw key_error("signing: the key cannot make an RS256 signature");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(signature.data()), &length, input,
                       signing_input.size()) != 1) {
        ERR_clear_error();
        throw key_error("signing: RS256 signature failed");
    }
    signature.resize(length);
    signing_input += '.';
    signing_input += base64url_encode(signature);
    return secret(std::move(signing_input));
}

std::string random_uuid() {
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw key_error("no randomness for a JWT id");
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return text;
}

std::string assertion_claims(std::string_view account_id, std::string_view audience,
                             std::chrono::system_clock::time_point now, std::chrono::seconds lifetime) {
    auto const issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    boost::json::object claims;
    claims["iss"] = account_id;
    claims["sub"] = account_id;
    claims["aud"] = audience;
    claims["iat"] = issued;
    claims["exp"] = issued + lifetime.count();
    claims["jti"] = random_uuid();
    return boost::json::serialize(claims);
}

secret make_assertion(EVP_PKEY* key, std::string_view account_id, std::string_view audience,
                      std::chrono::seconds lifetime) {
    // AM needs only alg; typ is customary and harmless.
    return sign_rs256(key, R"({"alg":"RS256","typ":"JWT"})",
                      assertion_claims(account_id, audience, std::chrono::system_clock::now(), lifetime));
}

}  // namespace aic::auth
