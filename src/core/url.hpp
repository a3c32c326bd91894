// https URLs as the config and the token endpoints use them: https://host[:port][/path].
#pragma once

#include "core/net.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace aic {

struct https_url {
    std::string host;  // a DNS name, an IPv4 literal, or an IPv6 literal without brackets
    std::uint16_t port = 443;
    std::string path;  // starts with '/', may be "/" ; never includes a query

    // "host" or "[v6]" followed by ":port" only when the port is not 443 (the Host header form).
    std::string authority() const;
    // Always with an explicit port, as AIC's documentation writes the JWT audience:
    // https://tenant:443/am/oauth2/access_token.
    std::string with_explicit_port() const;
    // The canonical text: https://authority/path.
    std::string text() const;
};

// Parses "https://host[:port][/path]". Refuses other schemes, userinfo, queries, fragments and
// empty hosts with errc::bad_url. A trailing '/' on the path is removed (except the root).
result<https_url> parse_https_url(std::string_view text);

// The same URL with `suffix` appended to its path ("/am" + "/oauth2/..." without doubled '/').
https_url join_path(https_url base, std::string_view suffix);

}  // namespace aic
