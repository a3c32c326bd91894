// One bounded HTTPS exchange: a fresh verified connection, one request, one string response.
#include "net/https_client.hpp"

#include <openssl/crypto.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace aic::net_tls {
namespace {

using exchange_result = boost::system::result<string_response, exchange_failure>;

char const* kind_of(connect_phase phase) {
    switch (phase) {
        case connect_phase::resolve: return "resolve";
        case connect_phase::connect: return "connect";
        case connect_phase::handshake: return "tls";
    }
    return "connect";
}

net::awaitable<exchange_result> exchange(ssl::context& ctx, https_url target,
                                         http::request<http::string_body> req, exchange_limits limits) {
    auto connected = co_await connect_tls(ctx, target, limits.connect);
    if (!connected) {
        auto const& f = connected.error();
        std::string kind = f.ec == beast::error::timeout ? "timeout" : kind_of(f.phase);
        co_return exchange_failure{std::move(kind), f.detail};
    }
    auto& stream = **connected;
    std::string const where = target.host + ":" + std::to_string(target.port);

    req.version(11);
    req.set(http::field::host, target.authority());
    req.keep_alive(false);
    req.prepare_payload();
    auto [wec, written] = co_await http::async_write(stream, req, use_nothrow);
    // The body carried an assertion or a client secret: do not leave it in freed memory.
    if (!req.body().empty()) OPENSSL_cleanse(req.body().data(), req.body().size());
    if (wec) co_return exchange_failure{"io", "sending the request to " + where + ": " + wec.message()};

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(limits.max_response_bytes);
    auto [rec, read] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (rec == http::error::body_limit)
        co_return exchange_failure{"too_large", "the response from " + where + " exceeded " +
                                                    std::to_string(limits.max_response_bytes) + " bytes"};
    if (rec) co_return exchange_failure{"io", "reading the response from " + where + ": " + rec.message()};

    // A polite close; its outcome does not matter, the answer is already here.
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(use_nothrow);
    co_return parser.release();
}

}  // namespace

net::awaitable<exchange_result> https_exchange(ssl::context& ctx, https_url target,
                                               http::request<http::string_body> req, exchange_limits limits) {
    using namespace net::experimental::awaitable_operators;
    auto ex = co_await net::this_coro::executor;
    net::steady_timer deadline(ex, limits.total);
    std::string const where = target.host + ":" + std::to_string(target.port);
    // Whichever finishes first wins; the loser is cancelled (the exchange's sockets close).
    auto outcome =
        co_await (exchange(ctx, std::move(target), std::move(req), limits) || deadline.async_wait(use_throw));
    if (outcome.index() == 1)
        co_return exchange_failure{"timeout", "no complete answer from " + where + " within " +
                                                  std::to_string(limits.total.count()) + " ms"};
    co_return std::move(std::get<0>(outcome));
}

void throw_exception_from_error(exchange_failure const& e, boost::source_location const& loc) {
    boost::throw_exception(std::runtime_error(e.kind + ": " + e.detail), loc);
}

}  // namespace aic::net_tls
