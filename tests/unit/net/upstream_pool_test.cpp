// upstream_pool over real loopback TCP connections: which idle connection try_take hands out
// after the upstream closed it, for each reuse_check. No TLS handshake is needed: the pool's
// check looks at the socket, below TLS.
#include "net/upstream_pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <chrono>
#include <memory>

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using aic::https_url;
using aic::net_tls::pool_settings;
using aic::net_tls::reuse_check;
using aic::net_tls::tls_stream;
using aic::net_tls::upstream_pool;
using boost::asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct loopback_upstream {
    net::io_context ioc;
    ssl::context tls{ssl::context::tls_client};
    tcp::acceptor acceptor{ioc, tcp::endpoint{net::ip::address_v4::loopback(), 0}};
    https_url url{"127.0.0.1", acceptor.local_endpoint().port(), "/"};

    // A connected stream for the pool, and the upstream's end of it.
    std::pair<std::unique_ptr<tls_stream>, tcp::socket> connection() {
        auto stream = std::make_unique<tls_stream>(ioc.get_executor(), tls);
        stream->socket().connect(acceptor.local_endpoint());
        return {std::move(stream), acceptor.accept()};
    }

    // A connection released into `pool`: the pooled stream (to compare with what try_take hands
    // out) and the upstream's end, still open.
    std::pair<tls_stream*, tcp::socket> pooled_connection(upstream_pool& pool) {
        auto [stream, far] = connection();
        auto* near = stream.get();
        pool.release(url, std::move(stream));
        return {near, std::move(far)};
    }
};

pool_settings checked_after(std::chrono::milliseconds idle) {
    pool_settings s;
    s.check_after_idle = idle;
    return s;
}

// The upstream closes its end; returns once the FIN is readable at the pooled end (a blocking
// poll, bounded by the test's timeout), so the pool's check has something to see.
void close_and_wait_for_fin(tcp::socket& far, tls_stream& near) {
    far.close();
    near.socket().wait(tcp::socket::wait_read);
}

}  // namespace

TEST_CASE("a pooled connection the upstream closed is never handed out when every reuse is checked") {
    loopback_upstream up;
    upstream_pool pool{up.ioc.get_executor(), up.tls, pool_settings{}};
    auto [near, far] = up.pooled_connection(pool);
    close_and_wait_for_fin(far, *near);
    CHECK(pool.try_take(up.url, reuse_check::always) == nullptr);
    CHECK(pool.idle_count() == 0);
}

TEST_CASE("a recently used connection is handed out unchecked when the caller can resend") {
    loopback_upstream up;
    upstream_pool pool{up.ioc.get_executor(), up.tls, checked_after(1h)};
    auto [near, far] = up.pooled_connection(pool);
    close_and_wait_for_fin(far, *near);
    // No system call spent on it: the caller meets the close and resends on a fresh connection.
    CHECK(pool.try_take(up.url, reuse_check::after_a_pause).get() == near);
}

TEST_CASE("after a pause the connection is checked even when the caller can resend") {
    loopback_upstream up;
    upstream_pool pool{up.ioc.get_executor(), up.tls, checked_after(0ms)};
    auto [open_near, far_open] = up.pooled_connection(pool);
    auto [closed_near, far_closed] = up.pooled_connection(pool);  // the most recently released is taken first
    close_and_wait_for_fin(far_closed, *closed_near);
    CHECK(pool.try_take(up.url, reuse_check::after_a_pause).get() == open_near);
    CHECK(pool.idle_count() == 0);
}

TEST_CASE("a live pooled connection passes the check") {
    loopback_upstream up;
    upstream_pool pool{up.ioc.get_executor(), up.tls, pool_settings{}};
    auto [near, far] = up.pooled_connection(pool);
    CHECK(pool.try_take(up.url, reuse_check::always).get() == near);
    CHECK(pool.try_take(up.url, reuse_check::always) == nullptr);  // taken, not copied
}
