// Loading the service account's RSA private key: a JWK JSON document (as AIC downloads it) or PEM.
// Errors throw key_error whose message never contains key material.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aic::auth {

class key_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct evp_pkey_deleter {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using private_key = std::unique_ptr<EVP_PKEY, evp_pkey_deleter>;

// Accepts an RSA JWK with kty, n, e, d, p, q, dp, dq, qi (alg/kid/use optional), or a PEM
// private key (PKCS#1 or PKCS#8). Refuses public-only keys, non-RSA keys and keys under 2048 bits.
private_key load_private_key(std::string_view text);

// "RSA 2048-bit (JWK, kid=…)" — safe to print in `aic-proxy check`.
std::string describe_key(std::string_view text);

}  // namespace aic::auth
