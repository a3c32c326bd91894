// RS256 JSON Web Tokens (RFC 7515 compact form) and the RFC 7523 client assertion AIC expects.
#pragma once

#include "auth/private_key.hpp"
#include "core/secret.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace aic::auth {

// base64url(header) "." base64url(claims) "." base64url(RS256 signature); throws key_error if
// OpenSSL cannot sign with `key`.
secret sign_rs256(EVP_PKEY* key, std::string_view header_json, std::string_view claims_json);

// The claims of design.md §2: iss = sub = account_id, aud = the token endpoint with an explicit
// port, exp = now + lifetime, iat = now, jti = a fresh random UUID.
std::string assertion_claims(std::string_view account_id, std::string_view audience,
                             std::chrono::system_clock::time_point now, std::chrono::seconds lifetime);

secret make_assertion(EVP_PKEY* key, std::string_view account_id, std::string_view audience,
                      std::chrono::seconds lifetime);

std::string random_uuid();  // RFC 9562 version 4, from OpenSSL's CSPRNG

}  // namespace aic::auth
