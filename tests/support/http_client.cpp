// http_client (see http_client.hpp). Every operation is async on a private io_context that is
// run to completion: beast::tcp_stream's expiry then bounds each step, which the sync API can't.
#include "http_client.hpp"

#include "core/net.hpp"

#include <boost/asio/io_context.hpp>

#include <array>
#include <functional>
#include <optional>

namespace aic::test {
namespace {

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string lower(std::string_view s) {
    std::string out{s};
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

struct http_client::impl {
    std::string host;
    std::uint16_t port;
    std::chrono::milliseconds timeout;
    std::optional<tls_settings> tls;
    net::io_context ioc;
    std::optional<ssl::context> ssl_ctx;
    std::optional<beast::tcp_stream> plain;
    std::optional<tls_stream> secure;
    beast::flat_buffer buffer;

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
    bool open() const { return plain.has_value() || secure.has_value(); }

    // Runs one async operation to completion; throws its error.
    template <class Start>
    std::size_t run(Start start) {
        error_code ec;
        std::size_t n = 0;
        lowest().expires_after(timeout);
        start([&](error_code e, std::size_t bytes = 0) {
            ec = e;
            n = bytes;
        });
        ioc.restart();
        ioc.run();
        if (ec) throw boost::system::system_error{ec};
        return n;
    }

    void connect() {
        tcp::resolver resolver{ioc};
        auto const endpoints = resolver.resolve(host, std::to_string(port));
        buffer.clear();
        if (tls) {
            secure.emplace(ioc, *ssl_ctx);
            if (!SSL_set_tlsext_host_name(secure->native_handle(), tls->server_name.c_str()))
                throw std::runtime_error("SNI");
            secure->set_verify_callback(ssl::host_name_verification(tls->server_name));
        } else {
            plain.emplace(ioc);
        }
        run([&](auto handler) {
            lowest().async_connect(endpoints,
                                   [handler](error_code e, tcp::endpoint const&) mutable { handler(e); });
        });
        if (secure) {
            run([&](auto handler) {
                secure->async_handshake(ssl::stream_base::client,
                                        [handler](error_code e) mutable { handler(e); });
            });
        }
    }

    void drop() {
        error_code ignored;
        if (open()) {
            lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
            lowest().socket().close(ignored);
        }
        secure.reset();
        plain.reset();
    }

    template <class Stream>
    http_response exchange(Stream& s, http::request<http::string_body>& req) {
        run([&](auto handler) {
            http::async_write(s, req, [handler](error_code e, std::size_t n) mutable { handler(e, n); });
        });
        http::response_parser<http::string_body> parser;
        parser.body_limit(1024ULL * 1024 * 1024);
        if (req.method() == http::verb::head) parser.skip(true);
        run([&](auto handler) {
            http::async_read(s, buffer, parser,
                             [handler](error_code e, std::size_t n) mutable { handler(e, n); });
        });
        auto& res = parser.get();
        http_response out;
        out.status = res.result_int();
        out.keep_alive = res.keep_alive();
        for (auto const& f : res) {
            auto const name = lower(f.name_string());
            auto& slot = out.headers[name];
            slot += slot.empty() ? std::string{f.value()} : ", " + std::string{f.value()};
        }
        out.body = std::move(res.body());
        return out;
    }
};

http_client::http_client(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
    impl_->host = std::move(host);
    impl_->port = port;
    impl_->timeout = timeout;
}

http_client::http_client(std::string host, std::uint16_t port, tls_settings tls,
                         std::chrono::milliseconds timeout)
    : http_client(std::move(host), port, timeout) {
    impl_->ssl_ctx.emplace(ssl::context::tls_client);
    impl_->ssl_ctx->load_verify_file(tls.ca_file);
    impl_->ssl_ctx->set_verify_mode(ssl::verify_peer);
    impl_->tls = std::move(tls);
}

http_client::~http_client() {
    close();
}

void http_client::close() {
    impl_->drop();
}

http_response http_client::request(std::string const& method, std::string const& target,
                                   header_list const& headers, std::string const& body) {
    auto& m = *impl_;
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, (m.tls ? m.tls->server_name : m.host) + ":" + std::to_string(m.port));
    for (auto const& [name, value] : headers) req.insert(name, value);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        req.body() = body;
        req.prepare_payload();
    }
    try {
        if (!m.open()) {
            m.connect();
            ++connections_opened_;
        }
        auto res = m.secure ? m.exchange(*m.secure, req) : m.exchange(*m.plain, req);
        if (!res.keep_alive) m.drop();
        return res;
    } catch (...) {
        m.drop();
        throw;
    }
}

std::string raw_exchange(std::uint16_t port, std::string const& bytes, std::chrono::milliseconds timeout) {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    std::string received;
    std::array<char, 4096> buf{};
    error_code result;
    stream.expires_after(timeout);
    std::function<void(error_code, std::size_t)> on_read = [&](error_code ec, std::size_t n) {
        received.append(buf.data(), n);
        if (ec) {
            result = ec;
            return;
        }
        stream.async_read_some(net::buffer(buf), on_read);
    };
    stream.async_connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, [&](error_code ec) {
        if (ec) {
            result = ec;
            return;
        }
        net::async_write(stream, net::buffer(bytes), [&](error_code wec, std::size_t) {
            // The server may answer and close before reading everything; read what it sent anyway.
            (void)wec;
            stream.async_read_some(net::buffer(buf), on_read);
        });
    });
    ioc.run();
    return received;
}

head_exchange head_then_healthz(std::uint16_t port, std::string const& target,
                                std::string const& extra_headers) {
    std::string const bytes =
        raw_exchange(port, "HEAD " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers +
                               "\r\n"
                               "GET /_proxy/healthz HTTP/1.1\r\nHost: localhost\r\n"
                               "Connection: close\r\n\r\n");
    auto const end = bytes.find("\r\n\r\n");
    if (end == std::string::npos) return {bytes, {}};
    return {bytes.substr(0, end + 4), bytes.substr(end + 4)};
}

}  // namespace aic::test
