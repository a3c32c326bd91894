// A way to obtain one access token for a scope set (RFC 7523 JWT bearer, RFC 6749 client
// credentials). Sources never cache and never throw for I/O: the cache decides when to call.
#pragma once

#include "auth/access_token.hpp"
#include "core/net.hpp"
#include "core/url.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace aic::auth {

class token_source {
public:
    virtual ~token_source() = default;
    // `scopes` sorted and unique. The result's scopes are what the endpoint granted.
    virtual net::awaitable<token_result> fetch(std::vector<std::string> scopes) = 0;
    virtual std::string const& credential_name() const noexcept = 0;
    virtual https_url const& endpoint() const noexcept = 0;
};

}  // namespace aic::auth
