// tls_stream against a real TLS server on loopback (OpenSSL on a blocking socket, the test PKI's
// certificate; on its own thread where it must run beside the client): what the reading side makes of records
// of every size, of a close_notify, and of a connection cut without one; and that a pooled connection whose
// peer's close_notify the stream already received is not handed out again.
#include "net/tls_stream.hpp"
#include "net/upstream_pool.hpp"

#include <openssl/ssl.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using aic::error_code;
using aic::https_url;
using aic::net_tls::pool_settings;
using aic::net_tls::reuse_check;
using aic::net_tls::tls_stream;
using aic::net_tls::upstream_pool;
using boost::asio::ip::tcp;

namespace {

std::string pki(char const* name) {
    return std::string{AIC_TEST_PKI_DIR} + "/" + name;
}

// Bytes whose position shows in their value, so a lost, doubled or reordered piece is visible.
std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

// Loaded before any server stream exists: SSL_new takes the certificate from the context then.
ssl::context server_context() {
    ssl::context tls{ssl::context::tls_server};
    tls.use_certificate_chain_file(pki("localhost.pem"));
    tls.use_private_key_file(pki("localhost.key"), ssl::context::pem);
    return tls;
}

struct tls_pair {
    net::io_context ioc;
    ssl::context server_tls = server_context();
    ssl::context client_tls{ssl::context::tls_client};
    net::io_context server_ioc;
    tcp::acceptor acceptor{server_ioc, tcp::endpoint{net::ip::address_v4::loopback(), 0}};
    tcp::socket server_socket{server_ioc};
    SSL* server = nullptr;  // reads and writes server_socket itself, blocking
    std::unique_ptr<tls_stream> client;

    tls_pair() {
        client = std::make_unique<tls_stream>(ioc.get_executor(), client_tls);
        client->socket().connect(acceptor.local_endpoint());
        acceptor.accept(server_socket);
        server = SSL_new(server_tls.native_handle());
        REQUIRE(server);
        SSL_set_fd(server, static_cast<int>(server_socket.native_handle()));
        int accepted = 0;
        std::thread handshake{[&] { accepted = SSL_accept(server); }};
        error_code ec = net::error::would_block;
        client->async_handshake([&](error_code e) { ec = e; });
        ioc.run();
        handshake.join();
        REQUIRE(accepted == 1);
        REQUIRE_FALSE(ec);
    }
    ~tls_pair() { SSL_free(server); }
    tls_pair(tls_pair const&) = delete;
    tls_pair& operator=(tls_pair const&) = delete;

    // One SSL_write: records of at most 16 KiB, written to the socket as they are made. Returns
    // whether all was written (callable from the writer thread, where Catch cannot assert).
    bool send(char const* data, std::size_t n) {
        std::size_t written = 0;
        return SSL_write_ex(server, data, n, &written) == 1 && written == n;
    }
    bool send(std::string const& s) { return send(s.data(), s.size()); }

    // Reads until an error; returns the bytes and the error that ended the reading.
    std::pair<std::string, error_code> read_all() {
        std::string got;
        error_code end;
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                char buf[10000];
                for (;;) {
                    error_code ec;
                    auto const n = co_await client->async_read_some(
                        net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
                    got.append(buf, n);
                    if (ec) {
                        end = ec;
                        co_return;
                    }
                }
            },
            net::detached);
        ioc.restart();
        ioc.run();
        return {got, end};
    }

    // Reads exactly n bytes (fewer only if the stream fails first).
    std::string read_exactly(std::size_t n) {
        std::string got(n, '\0');
        error_code end;
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                std::size_t have = 0;
                while (have < n && !end) {
                    have += co_await client->async_read_some(net::buffer(got.data() + have, n - have),
                                                             net::redirect_error(net::use_awaitable, end));
                }
                got.resize(have);
            },
            net::detached);
        ioc.restart();
        ioc.run();
        return got;
    }

    // Sends close_notify without waiting for the client's (SSL_shutdown's first half).
    bool send_close_notify() { return SSL_shutdown(server) == 0; }
};

// The peer's response and its close_notify leave together, and the TCP connection stays open:
// the socket holds nothing more once the client has read the response.
void read_response_sent_with_close_notify(tls_pair& p) {
    std::string const response = pattern(300);
    REQUIRE(p.send(response));
    REQUIRE(p.send_close_notify());
    CHECK(p.read_exactly(response.size()) == response);
}

}  // namespace

TEST_CASE(
    "records of every size, larger than the input buffer, arrive whole and in order, and close_notify "
    "ends them") {
    tls_pair p;
    std::string const body = pattern(3 * 1024 * 1024 + 17);
    // Small records one by one (each its own TLS record), then the rest in one write: 16 KiB
    // records, which the client's receives cut wherever the socket does.
    bool sent = true;
    std::thread writer{[&] {
        std::size_t at = 0;
        for (std::size_t size = 1; size <= 600 && at + size <= body.size(); size += 7) {
            sent = sent && p.send(body.data() + at, size);
            at += size;
        }
        sent = sent && p.send(body.data() + at, body.size() - at) && p.send_close_notify();
    }};
    auto [got, end] = p.read_all();
    writer.join();
    CHECK(sent);
    CHECK(end == net::error::eof);
    REQUIRE(got.size() == body.size());
    CHECK(got == body);
}

TEST_CASE("a connection cut without close_notify is a truncation, after the bytes that came") {
    tls_pair p;
    std::string const body = pattern(1000);
    REQUIRE(p.send(body));
    p.server_socket.close();
    auto [got, end] = p.read_all();
    CHECK(got == body);
    CHECK(end == ssl::error::stream_truncated);
}

TEST_CASE("a pooled connection whose close_notify came with the last response is not handed out") {
    tls_pair p;
    read_response_sent_with_close_notify(p);
    CHECK(p.client->has_unread_input());

    pool_settings settings;
    upstream_pool pool{p.ioc.get_executor(), p.client_tls, settings};
    https_url const url{"127.0.0.1", p.acceptor.local_endpoint().port(), "/"};
    pool.release(url, std::move(p.client));
    CHECK(pool.try_take(url, reuse_check::always) == nullptr);
}

// A read that starts with nothing buffered goes straight to waiting for the socket, without asking
// OpenSSL. A close_notify already received, or still in OpenSSL's buffer, is something to read:
// such a read must end at once, not wait on a connection the peer keeps open.
TEST_CASE("a read after the response and the close_notify that came with it ends with eof at once") {
    tls_pair p;
    read_response_sent_with_close_notify(p);
    // Nothing more comes and the TCP connection stays open: a read waiting for the socket would
    // end only at this deadline. The stream is dropped once the read ends, and its deadline's
    // timer with it, so that the loop ends then too.
    p.client->expires_after(std::chrono::seconds(30));
    error_code end;
    std::size_t got = 1;
    net::co_spawn(
        p.ioc,
        [&]() -> net::awaitable<void> {
            char buf[100];
            got = co_await p.client->async_read_some(net::buffer(buf),
                                                     net::redirect_error(net::use_awaitable, end));
            p.client.reset();
        },
        net::detached);
    p.ioc.restart();
    p.ioc.run();
    CHECK(got == 0);
    CHECK(end == net::error::eof);
}

TEST_CASE("a connection that read all it was sent has nothing unread") {
    tls_pair p;
    std::string const response = pattern(300);
    REQUIRE(p.send(response));
    CHECK(p.read_exactly(response.size()) == response);
    CHECK_FALSE(p.client->has_unread_input());
}

// The relay writes with write_now first and, when the socket is full, goes on with an asynchronous
// write of the same bytes. OpenSSL has then taken part of a record (SSL_ERROR_WANT_WRITE) and
// requires the retried write to carry the same bytes: the peer must get every byte once, in order.
TEST_CASE(
    "write_now stops without waiting when the socket is full, and an asynchronous write goes on "
    "from there") {
    tls_pair p;
    p.client->socket().set_option(net::socket_base::send_buffer_size(4096));
    std::string const body = pattern(16 * 1024 * 1024);
    std::size_t at = 0;
    error_code ec;
    for (;;) {
        std::size_t const piece = std::min<std::size_t>(16 * 1024, body.size() - at);
        std::size_t const n = p.client->write_now(net::buffer(body.data() + at, piece), ec);
        REQUIRE_FALSE(ec);
        at += n;
        if (n == 0) break;
        REQUIRE(at < body.size());  // the peer reads nothing yet: the socket fills long before
    }

    std::string got(body.size(), '\0');
    bool received = true;
    std::thread reader{[&] {
        std::size_t have = 0;
        while (received && have < got.size()) {
            std::size_t n = 0;
            received = SSL_read_ex(p.server, got.data() + have, got.size() - have, &n) == 1;
            have += n;
        }
    }};
    error_code write_ec = net::error::would_block;
    std::size_t written = 0;
    net::async_write(*p.client, net::buffer(body.data() + at, body.size() - at),
                     [&](error_code e, std::size_t n) {
                         write_ec = e;
                         written = n;
                     });
    p.ioc.restart();
    p.ioc.run();
    reader.join();
    CHECK_FALSE(write_ec);
    CHECK(written == body.size() - at);
    CHECK(received);
    CHECK(got == body);
}
