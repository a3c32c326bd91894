// Base64 and base64url (RFC 4648 §4, §5) on top of OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock:
// the codec is OpenSSL's; this file only maps the URL alphabet and the padding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aic {

std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);  // no padding, as JWTs and JWKs use
// Accepts padded or unpadded input; nullopt when it is not valid base64url.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace aic
