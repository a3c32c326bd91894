// draining_buffer over a real TCP connection on loopback: a receive that empties the socket makes
// its next receive wait for epoll's next edge. What must hold is that nothing is ever left
// waiting for an edge that will not come: a receive that filled its buffer has not emptied the
// socket, bytes that arrive after an emptying receive are delivered, and so is a FIN that came
// together with the data (a short receive, then an end of file no edge announces). Every read
// carries a deadline, so a lost edge fails as a timeout instead of hanging.
#include "net/draining_buffer.hpp"
#include "net/timed_socket.hpp"
#include "run_coroutine.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace net = boost::asio;
using aic::error_code;
using aic::use_nothrow;
using aic::net_tls::draining_buffer;
using aic::net_tls::timed_socket;
using aic::test::run_coroutine;
using boost::asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A connected TCP pair on loopback; the near end as the generic socket the proxy's clients use.
struct socket_pair {
    explicit socket_pair(net::io_context& ioc) : far(ioc) {
        tcp::acceptor acceptor{ioc, tcp::endpoint{net::ip::address_v4::loopback(), 0}};
        tcp::socket near_end(ioc);
        near_end.connect(acceptor.local_endpoint());
        acceptor.accept(far);
        near.emplace(timed_socket::socket_type(ioc, net::generic::stream_protocol(AF_INET, IPPROTO_TCP),
                                               near_end.release()));
    }
    std::optional<timed_socket> near;
    tcp::socket far;
};

// Reads once into `room` bytes with a deadline: what came, or the error.
net::awaitable<std::pair<error_code, std::string>> read_once(timed_socket& s, std::size_t room) {
    std::string got(room, '\0');
    s.expires_after(5s);
    auto [ec, n] = co_await s.async_read_some(net::buffer(got), use_nothrow);
    got.resize(n);
    co_return std::pair{ec, got};
}

}  // namespace

TEST_CASE("a receive that filled its buffer leaves the rest readable at once", "[net][draining_buffer]") {
    std::string first, second;
    error_code ec1, ec2;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        // Both pieces are in the socket before the first read: no edge will come for the second.
        net::write(p.far, net::buffer(std::string(4096, 'a') + std::string(100, 'b')));
        std::tie(ec1, first) = co_await read_once(*p.near, 4096);
        std::tie(ec2, second) = co_await read_once(*p.near, 4096);
    });
    CHECK_FALSE(ec1);
    CHECK(first == std::string(4096, 'a'));
    CHECK_FALSE(ec2);
    CHECK(second == std::string(100, 'b'));
}

TEST_CASE("bytes that arrive after a short receive are delivered", "[net][draining_buffer]") {
    std::string first, second;
    error_code ec1, ec2;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        net::write(p.far, net::buffer(std::string_view{"ping"}));
        std::tie(ec1, first) = co_await read_once(*p.near, 4096);  // short: the socket is drained
        // Written before the next read starts, with no turn of the event loop in between: the
        // edge is pending in epoll, and the read must be completed by it.
        net::write(p.far, net::buffer(std::string_view{"pong"}));
        std::tie(ec2, second) = co_await read_once(*p.near, 4096);
    });
    CHECK_FALSE(ec1);
    CHECK(first == "ping");
    CHECK_FALSE(ec2);
    CHECK(second == "pong");
}

TEST_CASE("a request and response exchange of many rounds loses no edge", "[net][draining_buffer]") {
    int rounds = 0;
    error_code failed;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        std::string const request(300, 'q');
        std::string reply(300, '\0');
        for (; rounds < 2000; ++rounds) {
            // The far end answers from the event loop, as a peer process would from its own.
            net::async_write(p.far, net::buffer(request), [](error_code, std::size_t) {});
            auto [ec, got] = co_await read_once(*p.near, 4096);
            if (ec || got != request) {
                failed = ec ? ec : net::error::fault;
                break;
            }
            std::size_t const n = p.near->write_now(net::buffer(got), ec);
            if (ec || n != got.size()) {
                failed = ec ? ec : net::error::fault;
                break;
            }
            auto [rec, r] = co_await net::async_read(p.far, net::buffer(reply), use_nothrow);
            if (rec) {
                failed = rec;
                break;
            }
        }
    });
    CHECK_FALSE(failed);
    CHECK(rounds == 2000);
}

TEST_CASE("end of file after a short receive is delivered", "[net][draining_buffer]") {
    std::string first, second;
    error_code ec1, ec2;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        net::write(p.far, net::buffer(std::string_view{"last"}));
        std::tie(ec1, first) = co_await read_once(*p.near, 4096);
        p.far.close();
        std::tie(ec2, second) = co_await read_once(*p.near, 4096);
    });
    CHECK_FALSE(ec1);
    CHECK(first == "last");
    CHECK(ec2 == net::error::eof);
}

TEST_CASE("a FIN that came with the data is delivered after it", "[net][draining_buffer]") {
    std::string first, second;
    error_code ec1, ec2;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        // The read waits first; then the data and the FIN arrive together, and one turn of the
        // event loop takes their edges and receives. The short receive leaves the FIN behind, and
        // no edge is to come for it.
        net::post(ioc, [&p] {
            net::write(p.far, net::buffer(std::string_view{"goodbye"}));
            p.far.shutdown(tcp::socket::shutdown_send);
        });
        std::tie(ec1, first) = co_await read_once(*p.near, 4096);
        std::tie(ec2, second) = co_await read_once(*p.near, 4096);
    });
    CHECK_FALSE(ec1);
    CHECK(first == "goodbye");
    CHECK(ec2 == net::error::eof);
}

TEST_CASE("TCP sockets report what is left to read, unix sockets refuse", "[net][draining_buffer]") {
    net::io_context ioc;
    socket_pair p(ioc);
    CHECK(aic::net_tls::report_queued_bytes(static_cast<int>(p.far.native_handle())));

    net::write(p.near->socket(), net::buffer(std::string_view{"abcdef"}));
    char buf[4];
    error_code ec;
    std::size_t n = 0;
    bool drained = true;
    // Wait for the bytes, then take part of them: four are read, two remain.
    p.far.non_blocking(true);
    p.far.wait(tcp::socket::wait_read);
    REQUIRE(
        aic::net_tls::receive_draining(static_cast<int>(p.far.native_handle()), buf, 4, 0, ec, n, drained));
    CHECK_FALSE(ec);
    CHECK(n == 4);
    CHECK_FALSE(drained);
    REQUIRE(
        aic::net_tls::receive_draining(static_cast<int>(p.far.native_handle()), buf, 4, 0, ec, n, drained));
    CHECK(n == 2);
    CHECK(drained);
    CHECK_FALSE(
        aic::net_tls::receive_draining(static_cast<int>(p.far.native_handle()), buf, 4, 0, ec, n, drained));

    net::local::stream_protocol::socket a(ioc), b(ioc);
    net::local::connect_pair(a, b);
    CHECK_FALSE(aic::net_tls::report_queued_bytes(static_cast<int>(a.native_handle())));
}
