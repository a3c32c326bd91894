// The two OAuth grants AIC documents, as token_sources (design.md §2).
#pragma once

#include "auth/private_key.hpp"
#include "auth/token_source.hpp"
#include "config/config.hpp"
#include "net/https_client.hpp"

#include <chrono>
#include <memory>

namespace aic::auth {

// RFC 7523 JWT bearer grant: a fresh RS256 assertion per fetch, client_id=service-account.
std::unique_ptr<token_source> make_service_account_source(ssl::context& tls,
                                                          config::credential const& credential,
                                                          private_key key,
                                                          std::chrono::seconds assertion_lifetime,
                                                          net_tls::exchange_limits limits);

// RFC 6749 §4.4 client credentials with client_secret_basic (§2.3.1 encoding) or client_secret_post.
std::unique_ptr<token_source> make_client_credentials_source(ssl::context& tls,
                                                             config::credential const& credential,
                                                             net_tls::exchange_limits limits);

// "Basic " + base64(form_encode(id) ":" form_encode(secret)), as RFC 6749 §2.3.1 requires.
secret basic_authorization(std::string_view client_id, std::string_view client_secret);

}  // namespace aic::auth
