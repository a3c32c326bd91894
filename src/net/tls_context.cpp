#include "net/tls_context.hpp"

#include "net/tls_sessions.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace aic::net_tls {

std::shared_ptr<ssl::context> make_client_context(config::tls_settings const& settings) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    // TLS 1.2 is the floor the design promises; nothing older is negotiable.
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    ctx->set_verify_mode(ssl::verify_peer);
    error_code ec;
    if (settings.ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) throw std::runtime_error("tls: cannot load the system CA store: " + ec.message());
    } else {
        ctx->load_verify_file(settings.ca_file, ec);
        if (ec)
            throw std::runtime_error("tls.ca_file: cannot load " + settings.ca_file + ": " + ec.message());
    }
    // Reconnects to an upstream resume its last session (net/tls_sessions.hpp).
    enable_session_resumption(*ctx);
    return ctx;
}

}  // namespace aic::net_tls
