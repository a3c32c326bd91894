// The composition point of auth/: an authenticator for one (credential, scope set).
#pragma once

#include "auth/authenticator.hpp"
#include "config/config.hpp"
#include "core/net.hpp"

#include <memory>
#include <string>
#include <vector>

namespace aic::auth {

// service_account / client_credentials: a token_cache over the matching token_source.
// api_key: a static authenticator that injects X-API-Key / X-API-Secret.
// Throws std::runtime_error (naming the credential, never key material) when a key cannot load.
std::shared_ptr<authenticator> make_authenticator(net::any_io_executor ex, ssl::context& tls,
                                                  config::credential const& credential,
                                                  std::vector<std::string> scopes,
                                                  config::token_settings const& tokens,
                                                  config::timeouts const& timeouts);

}  // namespace aic::auth
