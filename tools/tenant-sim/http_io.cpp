// Read/write steps shared by the simulator's handlers (see http_io.hpp).
#include "http_io.hpp"

#include "crypto.hpp"

#include <array>

namespace aic::sim {

net::awaitable<std::optional<std::string>> read_body(tls_stream& s, beast::flat_buffer& buf,
                                                     request_parser& p, std::size_t limit) {
    std::string out;
    std::array<char, 16384> tmp{};
    while (!p.is_done()) {
        p.get().body().data = tmp.data();
        p.get().body().size = tmp.size();
        auto [ec, n] = co_await http::async_read(s, buf, p, use_nothrow);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return std::nullopt;
        out.append(tmp.data(), tmp.size() - p.get().body().size);
        if (out.size() > limit) co_return std::nullopt;
    }
    co_return out;
}

net::awaitable<std::optional<body_digest>> drain_body(tls_stream& s, beast::flat_buffer& buf,
                                                      request_parser& p) {
    sha256 hash;
    body_digest out;
    std::vector<char> tmp(64 * 1024);
    while (!p.is_done()) {
        p.get().body().data = tmp.data();
        p.get().body().size = tmp.size();
        auto [ec, n] = co_await http::async_read(s, buf, p, use_nothrow);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return std::nullopt;
        std::size_t const got = tmp.size() - p.get().body().size;
        hash.update(tmp.data(), got);
        out.bytes += got;
    }
    out.sha256_hex = hash.hex_digest();
    co_return out;
}

net::awaitable<bool> write_json(tls_stream& s, unsigned status, std::string body, unsigned version,
                                bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(status), version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(s, res, use_nothrow);
    co_return !ec && keep_alive;
}

net::awaitable<bool> hang(tls_stream& s) {
    std::array<char, 4096> tmp{};
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(net::buffer(tmp), use_nothrow);
        if (ec) co_return false;
    }
}

net::awaitable<void> wait_ms(std::int64_t ms) {
    net::steady_timer timer{co_await net::this_coro::executor};
    timer.expires_after(std::chrono::milliseconds{ms});
    co_await timer.async_wait(use_nothrow);
}

}  // namespace aic::sim
