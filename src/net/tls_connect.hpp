// Opening one verified TLS connection to an upstream: resolve, connect, SNI, handshake with
// certificate-chain and host-name verification. Shared by the token client and the proxy's pool.
#pragma once

#include "core/net.hpp"
#include "core/url.hpp"
#include "net/tls_stream.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace aic::net_tls {

struct connect_timeouts {
    std::chrono::milliseconds connect{5000};
    std::chrono::milliseconds handshake{5000};
};

// Failure phases, so callers can say what went wrong ("TLS: certificate verify failed for host X").
enum class connect_phase { resolve, connect, handshake };

struct connect_failure {
    connect_phase phase = connect_phase::connect;
    error_code ec;
    std::string detail;  // human text: "TLS handshake with localhost:8443: certificate verify failed"
};

// Never throws for I/O. The stream is ready for HTTP when returned.
net::awaitable<boost::system::result<std::unique_ptr<tls_stream>, connect_failure>> connect_tls(
    ssl::context& ctx, https_url target, connect_timeouts timeouts);

}  // namespace aic::net_tls

namespace aic::net_tls {
// boost::system::result<T, connect_failure>::value() throws this when it holds an error.
[[noreturn]] void throw_exception_from_error(connect_failure const& e, boost::source_location const& loc);
}  // namespace aic::net_tls
