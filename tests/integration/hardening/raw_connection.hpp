// Helpers for the hardening tests: a raw client connection (TCP or unix socket) that sends bytes
// as-is and reads with bounded waits, a parser for the responses it got, and checks on the
// proxy's JSON refusals.
#pragma once

#include "http_client.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace aic::test::hardening {

using namespace std::chrono_literals;

struct read_result {
    std::string bytes;
    bool closed = false;  // the peer closed (EOF or reset) within the time given
};

// One client connection on a plain socket. Every read is bounded: a test that expects the proxy
// to close the connection fails (closed == false) instead of hanging when it does not.
class raw_connection {
public:
    static raw_connection tcp(std::uint16_t port) {
        raw_connection c{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c.fd_, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0)
            throw std::runtime_error(std::string{"connect: "} + std::strerror(errno));
        return c;
    }

    static raw_connection unix_socket(std::string const& path) {
        raw_connection c{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("unix socket path too long");
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        if (::connect(c.fd_, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
        return c;
    }

    raw_connection(raw_connection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    raw_connection& operator=(raw_connection&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    raw_connection(raw_connection const&) = delete;
    raw_connection& operator=(raw_connection const&) = delete;
    ~raw_connection() {
        if (fd_ >= 0) ::close(fd_);
    }

    int fd() const { return fd_; }

    // False when the peer is gone (EPIPE, ECONNRESET).
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            auto const n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Everything the peer sends until it closes or `timeout` passes.
    read_result read_until_close(std::chrono::milliseconds timeout = 10s) {
        read_result out;
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return out;
            if (!read_some(out, left)) return out;
            if (out.closed) return out;
        }
    }

    // Reads until `bytes` holds `count` complete responses (or the peer closed / time ran out).
    read_result read_responses(std::size_t count, std::chrono::milliseconds timeout = 10s);

    // True once the peer has closed (EOF or reset) within `timeout`; data it sends meanwhile is
    // appended to `seen` when given.
    bool wait_closed(std::chrono::milliseconds timeout, std::string* seen = nullptr) {
        auto r = read_until_close(timeout);
        if (seen) seen->append(r.bytes);
        return r.closed;
    }

private:
    explicit raw_connection(int fd) : fd_(fd) {
        if (fd_ < 0) throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
    }

    // One poll + read; false on timeout.
    bool read_some(read_result& out, std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        int const ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (ready < 0 && errno == EINTR) return true;
        if (ready <= 0) return false;
        char buf[8192];
        auto const n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
            out.bytes.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            out.closed = true;
        }
        return true;
    }

    int fd_ = -1;
};

// Splits a byte stream into the HTTP responses it holds (a trailing partial one is ignored).
inline std::vector<http_response> parse_responses(std::string const& bytes) {
    namespace http = boost::beast::http;
    std::vector<http_response> out;
    std::string_view rest = bytes;
    while (!rest.empty()) {
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        parser.body_limit(boost::none);
        boost::system::error_code ec;
        std::size_t used = 0;
        while (!parser.is_done()) {
            auto const n = parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
            used += n;
            if (ec == http::error::need_more && used < rest.size()) {
                ec = {};
                continue;
            }
            break;
        }
        if (ec || !parser.is_done()) break;
        auto const& msg = parser.get();
        http_response r;
        r.status = msg.result_int();
        for (auto const& f : msg) {
            std::string name{f.name_string()};
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            auto& v = r.headers[name];
            if (!v.empty()) v += ", ";
            v += std::string{f.value()};
        }
        r.body = msg.body();
        r.keep_alive = msg.keep_alive();
        out.push_back(std::move(r));
        rest.remove_prefix(used);
    }
    return out;
}

inline read_result raw_connection::read_responses(std::size_t count, std::chrono::milliseconds timeout) {
    read_result out;
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (parse_responses(out.bytes).size() < count && !out.closed) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !read_some(out, left)) break;
    }
    return out;
}

// One raw request on a fresh TCP connection: the single response and whether the proxy closed.
struct raw_outcome {
    std::vector<http_response> responses;
    bool closed = false;
    std::string bytes;
};

inline raw_outcome raw_request(std::uint16_t port, std::string const& bytes,
                               std::chrono::milliseconds timeout = 10s) {
    auto c = raw_connection::tcp(port);
    c.send(bytes);
    auto r = c.read_until_close(timeout);
    return {parse_responses(r.bytes), r.closed, r.bytes};
}

// The proxy's own JSON error: {"error", "detail", "request_id"} with the id echoed in X-Request-Id.
inline void check_refusal(http_response const& res, unsigned status, std::string const& error) {
    INFO("response body: " << res.body);
    CHECK(res.status == status);
    CHECK(res.header("content-type") == "application/json");
    boost::system::error_code ec;
    auto const v = boost::json::parse(res.body, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    auto const& o = v.as_object();
    REQUIRE(o.contains("error"));
    REQUIRE(o.contains("detail"));
    REQUIRE(o.contains("request_id"));
    CHECK(o.at("error").as_string() == error.c_str());
    CHECK_FALSE(o.at("detail").as_string().empty());
    CHECK_FALSE(o.at("request_id").as_string().empty());
    CHECK(res.header("x-request-id") == std::string{o.at("request_id").as_string()});
}

inline std::string get(std::string const& target, std::string const& extra_headers = {},
                       std::string const& host = "localhost") {
    return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra_headers +
           "Connection: close\r\n\r\n";
}

}  // namespace aic::test::hardening
