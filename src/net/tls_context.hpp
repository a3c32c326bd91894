// The one client TLS context: TLS 1.2+, peer verification against ca_file or the system store.
#pragma once

#include "config/config.hpp"
#include "core/net.hpp"

#include <memory>

namespace aic::net_tls {

// Throws std::runtime_error naming ca_file when it cannot be loaded (a startup failure).
std::shared_ptr<ssl::context> make_client_context(config::tls_settings const& settings);

}  // namespace aic::net_tls
