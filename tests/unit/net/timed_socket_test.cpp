// timed_socket over a real connected socket pair: the deadline cuts a pending read or write with
// beast::error::timeout, refuses operations started after it passed, does not fire at a time it
// was moved away from, and a close is reported as itself, not as a timeout; a wake that comes
// after the socket went touches nothing.
#include "net/timed_socket.hpp"
#include "run_coroutine.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
using aic::error_code;
using aic::use_nothrow;
using aic::net_tls::timed_socket;
using aic::test::run_coroutine;
using namespace std::chrono_literals;

namespace {

// A connected unix socket pair; the near end as the generic socket the proxy's clients use.
struct socket_pair {
    explicit socket_pair(net::io_context& ioc) : far(ioc) {
        net::local::stream_protocol::socket near_end(ioc);
        net::local::connect_pair(near_end, far);
        near.emplace(
            timed_socket::socket_type(ioc, net::generic::stream_protocol(AF_UNIX, 0), near_end.release()));
    }
    std::optional<timed_socket> near;
    net::local::stream_protocol::socket far;
};

// A coroutine function rather than a capturing lambda: the closure would be gone before it runs.
net::awaitable<void> write_after(net::steady_timer& timer, net::local::stream_protocol::socket& to,
                                 std::string_view bytes) {
    co_await timer.async_wait(aic::use_throw);
    co_await net::async_write(to, net::buffer(bytes), aic::use_throw);
}

}  // namespace

TEST_CASE("a read pending when the deadline passes fails with timeout", "[net][timed_socket]") {
    error_code got;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        p.near->expires_after(20ms);
        char byte = 0;
        auto [ec, n] = co_await p.near->async_read_some(net::buffer(&byte, 1), use_nothrow);
        got = ec;
    });
    CHECK(got == beast::error::timeout);
}

TEST_CASE("an operation started after the deadline passed fails at once, even with data waiting",
          "[net][timed_socket]") {
    error_code got;
    std::size_t read = 99;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        co_await net::async_write(p.far, net::buffer(std::string_view{"x"}), aic::use_throw);
        p.near->expires_after(0ms);
        char byte = 0;
        auto [ec, n] = co_await p.near->async_read_some(net::buffer(&byte, 1), use_nothrow);
        got = ec;
        read = n;
    });
    CHECK(got == beast::error::timeout);
    CHECK(read == 0);
}

TEST_CASE("a deadline moved later does not cut an operation at the earlier time", "[net][timed_socket]") {
    error_code got;
    char byte = 0;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        p.near->expires_after(5ms);  // arms the timer for 5 ms from now ...
        p.near->expires_after(1h);   // ... which then wakes, finds the deadline moved and sleeps on
        // The byte arrives well after the first deadline would have passed.
        net::steady_timer later(ioc, 100ms);
        net::co_spawn(ioc, write_after(later, p.far, "y"), net::detached);
        auto [ec, n] = co_await p.near->async_read_some(net::buffer(&byte, 1), use_nothrow);
        got = ec;
        p.near->expires_never();
    });
    CHECK_FALSE(got);
    CHECK(byte == 'y');
}

TEST_CASE("a write to a peer that stops reading fails with timeout", "[net][timed_socket]") {
    error_code got;
    std::size_t written = 0;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        std::vector<char> block(1 << 20, 'z');
        p.near->expires_after(50ms);
        for (;;) {  // until the socket buffers are full and the deadline passes
            auto [ec, n] = co_await net::async_write(*p.near, net::buffer(block), use_nothrow);
            written += n;
            if (ec) {
                got = ec;
                break;
            }
        }
    });
    CHECK(got == beast::error::timeout);
    CHECK(written > 0);
}

TEST_CASE("closing the socket ends a pending read as aborted, not as a timeout", "[net][timed_socket]") {
    error_code got;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        p.near->expires_after(1h);
        net::post(ioc, [&] { p.near->close(); });
        char byte = 0;
        auto [ec, n] = co_await p.near->async_read_some(net::buffer(&byte, 1), use_nothrow);
        got = ec;
    });
    CHECK(got == net::error::operation_aborted);
}

// The deadline's timer wakes through the event loop's queue, so the wake can be queued already
// when the connection goes. Here it is: the socket is made (which queues the reactor's turn), its
// deadline set to now, and its destruction posted; the reactor's turn then queues the due wake
// behind the destruction. The wake must find the connection gone and touch nothing (the ASan
// build reports a use after free if it does).
TEST_CASE("a wake of the deadline queued when the socket goes touches nothing", "[net][timed_socket]") {
    net::io_context ioc;
    auto p = std::make_unique<socket_pair>(ioc);
    p->near->expires_after(0ms);
    bool destroyed = false;
    net::post(ioc, [&] {
        p.reset();
        destroyed = true;
    });
    ioc.run();
    CHECK(destroyed);
}

TEST_CASE("an expired deadline made live again lets operations run", "[net][timed_socket]") {
    error_code first, second;
    char byte = 0;
    run_coroutine([&](net::io_context& ioc) -> net::awaitable<void> {
        socket_pair p(ioc);
        p.near->expires_after(10ms);
        auto [ec1, n1] = co_await p.near->async_read_some(net::buffer(&byte, 1), use_nothrow);
        first = ec1;
        co_await net::async_write(p.far, net::buffer(std::string_view{"z"}), aic::use_throw);
        p.near->expires_after(1h);
        auto [ec2, n2] = co_await p.near->async_read_some(net::buffer(&byte, 1), use_nothrow);
        second = ec2;
        p.near->expires_never();
    });
    CHECK(first == beast::error::timeout);
    CHECK_FALSE(second);
    CHECK(byte == 'z');
}

// write_now is the relay's way out for a response the socket has room for: it must never wait (a
// full socket is 0 bytes and no error, left to an asynchronous write), must lose and reorder
// nothing across the two, and must report a peer that is gone.
TEST_CASE("write_now writes what the socket takes and returns 0 without waiting once it is full",
          "[net][timed_socket]") {
    net::io_context ioc;
    socket_pair p(ioc);
    std::string sent;
    for (std::size_t piece = 0;; ++piece) {
        std::string const bytes(4096, static_cast<char>('a' + piece % 26));
        error_code ec;
        std::size_t const n = p.near->write_now(net::buffer(bytes), ec);
        REQUIRE_FALSE(ec);
        sent.append(bytes, 0, n);
        if (n < bytes.size()) break;  // full: a partial write or none at all
        REQUIRE(sent.size() < 64u << 20);
    }
    error_code ec;
    CHECK(p.near->write_now(net::buffer(std::string_view{"more"}), ec) == 0);
    CHECK_FALSE(ec);

    std::string got(sent.size(), '\0');
    net::read(p.far, net::buffer(got));
    CHECK(got == sent);
}

TEST_CASE("write_now to a peer that closed fails with the socket's error", "[net][timed_socket]") {
    net::io_context ioc;
    socket_pair p(ioc);
    p.far.close();
    error_code ec;
    CHECK(p.near->write_now(net::buffer(std::string_view{"lost"}), ec) == 0);
    CHECK(ec == net::error::broken_pipe);
}
