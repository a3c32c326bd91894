// The simulator's crypto and encoding helpers (OpenSSL 3 EVP only, no deprecated RSA_* calls).
// Kept apart from the server so the tests can sign assertions with the same key handling.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aic::sim {

struct pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

std::string b64_encode(std::string_view bytes);
std::optional<std::string> b64_decode(std::string_view text);  // standard alphabet, padding optional
std::string b64url_encode(std::string_view bytes);             // no padding
std::optional<std::string> b64url_decode(std::string_view text);

std::string random_bytes(std::size_t n);
std::string random_token();  // 32 random bytes, base64url
std::string random_uuid();   // version 4
std::string hex(std::string_view bytes);

class sha256 {
public:
    sha256();
    ~sha256();
    sha256(sha256 const&) = delete;
    sha256& operator=(sha256 const&) = delete;
    void update(void const* data, std::size_t n);
    std::string hex_digest();  // finishes the hash

private:
    EVP_MD_CTX* ctx_;
};

// An RSA key from a JWK (public when it has only n/e, private when it also has d, p, q, ...).
// nullptr when the JWK is not a usable RSA key.
pkey_ptr pkey_from_jwk(std::string_view jwk_json);
pkey_ptr generate_rsa(int bits);
std::string jwk_of(EVP_PKEY* key, bool include_private, std::string const& kid);

bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature);
std::string sign_rs256(EVP_PKEY* key, std::string_view signing_input);  // throws on failure

}  // namespace aic::sim
