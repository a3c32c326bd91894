// TLS session resumption for the client context: the last resumable session each upstream
// (host:port) handed out is kept and offered on the next connection to it, as nginx's
// proxy_ssl_session_reuse does. A resumed handshake skips the certificate message and the chain
// verification on our side, and the signature on the upstream's: what every pool miss, idle
// expiry and burst beyond the pool's size pays otherwise.
//
// OpenSSL's own client cache is not used: it never looks sessions up for a client (the
// application must pick one, SSL_set_session), yet stores every session of every connection, up to
// 20,480 of them with their peers' certificates.
#pragma once

#include "core/net.hpp"

#include <string>

namespace aic::net_tls {

// Installs the store on `ctx` (once, before any connection); it lives as long as the context.
void enable_session_resumption(ssl::context& ctx);

// Names the connection's upstream for the store, and offers its kept session, if any, to the
// handshake about to start. The key must name what the handshake verifies (host and port), so a
// session is only ever offered to the upstream it was verified with.
void offer_session(SSL* ssl, std::string const& upstream_key);

// Whether the handshake just done resumed a session.
bool session_resumed(SSL const* ssl) noexcept;

}  // namespace aic::net_tls
