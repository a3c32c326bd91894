// application/x-www-form-urlencoded (the token endpoints' request bodies, and RFC 6749 §2.3.1's
// encoding of client IDs and secrets before HTTP Basic).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace aic::auth {

// Unreserved characters (RFC 3986) stay; space becomes '+'; everything else %XX.
std::string form_encode(std::string_view text);

std::string form_body(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace aic::auth
