// The exchange both grant types share: POST a form to the token endpoint and turn the answer
// (RFC 6749 §5.1 success or §5.2 error) into a token_result.
#pragma once

#include "auth/access_token.hpp"
#include "core/net.hpp"
#include "core/secret.hpp"
#include "core/url.hpp"
#include "net/https_client.hpp"

#include <optional>
#include <string>
#include <vector>

namespace aic::auth {

struct token_request {
    std::string credential;  // for errors and logs
    https_url endpoint;
    secret form;                          // the body; holds the assertion or the client secret
    std::optional<secret> authorization;  // "Basic …" for client_secret_basic
    std::vector<std::string> scopes;      // requested, sorted: the granted set when none is echoed
};

net::awaitable<token_result> request_token(ssl::context& tls, token_request request,
                                           net_tls::exchange_limits limits);

// Exposed for tests: interprets one HTTP answer of a token endpoint.
token_result parse_token_response(token_request const& request, unsigned status, std::string_view body,
                                  boot_clock::time_point received_at);

}  // namespace aic::auth
