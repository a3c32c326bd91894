// Resolve, connect and handshake with verification, each phase bounded by its own timeout.
#include "net/tls_connect.hpp"

#include "core/error.hpp"
#include "net/tls_sessions.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/ip/address.hpp>
#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace aic::net_tls {
namespace {

using connect_result = boost::system::result<std::unique_ptr<tls_stream>, connect_failure>;

connect_failure failure(connect_phase phase, error_code ec, std::string detail) {
    return connect_failure{phase, ec, std::move(detail)};
}

// Pins the expected peer name into the SSL object: SNI for the server, and the name (or IP
// literal) that OpenSSL checks against the certificate during the handshake.
bool set_peer_name(SSL* ssl, std::string const& host) {
    error_code ec;
    (void)net::ip::make_address(host, ec);
    if (!ec) {
        // No SNI for IP literals (RFC 6066 §3); verify the address against the SAN instead.
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
    }
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

std::string handshake_detail(tls_stream& stream, https_url const& target, error_code ec) {
    std::string detail = "TLS handshake with " + target.host + ":" + std::to_string(target.port) + ": ";
    long const verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK)
        return detail + "certificate verify failed (" + X509_verify_cert_error_string(verify) + ")";
    if (ec == beast::error::timeout) return detail + "timed out";
    return detail + ec.message();
}

}  // namespace

net::awaitable<connect_result> connect_tls(ssl::context& ctx, https_url target, connect_timeouts timeouts) {
    auto ex = co_await net::this_coro::executor;
    std::string const where = target.host + ":" + std::to_string(target.port);

    tcp::resolver resolver(ex);
    // The resolver has no timeout of its own; the connect budget covers both phases.
    net::steady_timer resolve_deadline(ex, timeouts.connect);
    resolve_deadline.async_wait([&resolver](error_code ec) {
        if (!ec) resolver.cancel();
    });
    auto [rec, endpoints] =
        co_await resolver.async_resolve(target.host, std::to_string(target.port), use_nothrow);
    resolve_deadline.cancel();
    if (rec) co_return failure(connect_phase::resolve, rec, "cannot resolve " + where + ": " + rec.message());

    auto stream = std::make_unique<tls_stream>(ex, ctx);
    stream->expires_after(timeouts.connect);
    auto [connect_ec, ep] = co_await net::async_connect(stream->socket(), endpoints, use_nothrow);
    if (auto const cec = stream->deadline_error(connect_ec)) {
        std::string const why = cec == beast::error::timeout ? std::string("timed out") : cec.message();
        co_return failure(connect_phase::connect, cec, "cannot connect to " + where + ": " + why);
    }
    error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);

    if (!set_peer_name(stream->native_handle(), target.host))
        co_return failure(connect_phase::handshake, make_error_code(errc::bad_url),
                          "invalid TLS peer name " + target.host);
    offer_session(stream->native_handle(), where);
    stream->expires_after(timeouts.handshake);
    auto [hec] = co_await stream->async_handshake(use_nothrow);
    if (hec) co_return failure(connect_phase::handshake, hec, handshake_detail(*stream, target, hec));
    stream->expires_never();
    co_return std::move(stream);
}

void throw_exception_from_error(connect_failure const& e, boost::source_location const& loc) {
    boost::throw_exception(std::runtime_error(e.detail), loc);
}

}  // namespace aic::net_tls
