// Body relay loops. buffer_body reports a full buffer as http::error::need_buffer, which is
// progress, not failure; both loops therefore clear it.
#include "proxy/body_relay.hpp"

namespace aic::proxy::detail {

namespace {

// What one read of a streamed body asks for: a full TLS record's plaintext.
constexpr std::size_t stream_read_bytes = 16 * 1024;

bool is_need_buffer(error_code const& ec) {
    return ec == http::error::need_buffer;
}

void point_body(http::buffer_body::value_type& body, char* data, std::size_t size, bool more) {
    body.data = size ? data : nullptr;  // a zero-size piece would become an empty chunk
    body.size = size;
    body.more = more;
}

}  // namespace

void replay_store::keep(char const* p, std::size_t n) {
    if (!ok_ || n == 0) return;
    if (data_.size() + n > limit_) {
        ok_ = false;
        std::string{}.swap(data_);  // too large to replay: release it now
        return;
    }
    data_.append(p, n);
}

net::awaitable<relay_result> send_request(net_tls::tls_stream& upstream,
                                          http::request<http::buffer_body>& head, client_stream& client,
                                          beast::flat_buffer& client_buffer,
                                          http::request_parser<http::buffer_body>& client_parser,
                                          replay_store& replay, std::span<char> buffer,
                                          std::chrono::milliseconds body_io, std::uint64_t& bytes_in) {
    auto& up_layer = beast::get_lowest_layer(upstream);
    http::request_serializer<http::buffer_body> sr{head};
    bool const body_pending = !client_parser.is_done();
    point_body(head.body(), nullptr, 0, body_pending || !replay.data().empty());

    up_layer.expires_after(body_io);
    if (auto [ec, n] = co_await http::async_write_header(upstream, sr, use_nothrow); ec) {
        co_return relay_result{relay_status::upstream_failed, ec};
    }

    // What was kept from an earlier attempt goes first; `replay` is not appended to meanwhile.
    if (!replay.data().empty()) {
        auto& kept = replay.data();
        point_body(head.body(), kept.data(), kept.size(), body_pending);
        up_layer.expires_after(body_io);
        auto [ec, n] = co_await http::async_write(upstream, sr, use_nothrow);
        if (ec && !is_need_buffer(ec)) co_return relay_result{relay_status::upstream_failed, ec};
    }

    if (body_pending && client_buffer.capacity() < stream_read_bytes)
        client_buffer.reserve(stream_read_bytes);
    while (!client_parser.is_done()) {
        auto& in = client_parser.get().body();
        in.data = buffer.data();
        in.size = buffer.size();
        client.expires_after(body_io);
        auto [rec, rn] = co_await http::async_read_some(client, client_buffer, client_parser, use_nothrow);
        if (is_need_buffer(rec)) rec = {};
        if (rec == http::error::body_limit) co_return relay_result{relay_status::body_too_large, rec};
        if (rec) co_return relay_result{relay_status::client_failed, rec};
        std::size_t const got = buffer.size() - in.size;
        bytes_in += got;
        replay.keep(buffer.data(), got);
        bool const more = !client_parser.is_done();
        if (got == 0 && more) continue;
        point_body(head.body(), buffer.data(), got, more);
        up_layer.expires_after(body_io);
        auto [wec, wn] = co_await http::async_write(upstream, sr, use_nothrow);
        if (wec && !is_need_buffer(wec)) co_return relay_result{relay_status::upstream_failed, wec};
    }

    if (!sr.is_done()) {  // the final chunk (or nothing) once the body is complete
        point_body(head.body(), nullptr, 0, false);
        up_layer.expires_after(body_io);
        auto [ec, n] = co_await http::async_write(upstream, sr, use_nothrow);
        if (ec && !is_need_buffer(ec)) co_return relay_result{relay_status::upstream_failed, ec};
    }
    co_return relay_result{};
}

net::awaitable<relay_result> relay_response(net_tls::tls_stream& upstream,
                                            beast::flat_buffer& upstream_buffer,
                                            http::response_parser<http::buffer_body>& parser,
                                            client_stream& client, std::span<char> buffer,
                                            std::chrono::milliseconds body_io, std::uint64_t& bytes_out) {
    auto& msg = parser.get();
    http::response_serializer<http::buffer_body> sr{msg};
    point_body(msg.body(), nullptr, 0, !parser.is_done());

    // Body bytes that arrived with the head go out with it, in one write: with nothing buffered
    // the head goes alone at once, so a slow body never holds it back.
    bool head_sent = parser.is_done() || upstream_buffer.size() == 0;
    if (head_sent) {
        client.expires_after(body_io);
        if (auto [ec, n] = co_await http::async_write_header(client, sr, use_nothrow); ec) {
            co_return relay_result{relay_status::client_failed, ec};
        }
    }
    // HEAD, 204, 304 and empty bodies: the head is the whole message (and a HEAD answer that
    // says "chunked" must not get a terminating chunk).
    if (parser.is_done()) co_return relay_result{};

    auto& up_layer = beast::get_lowest_layer(upstream);
    // Beast reads as much as the buffer's spare capacity (at least 512 bytes): left at the size the
    // head needed, a large body would come in pieces of a few hundred bytes, one client write each.
    auto const length = parser.content_length();
    bool const buffered = length && *length <= upstream_buffer.size();  // a small body came with the head
    if (!buffered && upstream_buffer.capacity() < stream_read_bytes)
        upstream_buffer.reserve(stream_read_bytes);
    while (!sr.is_done()) {
        if (!parser.is_done()) {
            msg.body().data = buffer.data();
            msg.body().size = buffer.size();
            up_layer.expires_after(body_io);
            // read_some, not read: a drip-fed chunk must reach the client before the next arrives.
            auto [ec, n] = co_await http::async_read_some(upstream, upstream_buffer, parser, use_nothrow);
            if (is_need_buffer(ec)) ec = {};
            // A close-delimited body ends with the connection; many servers skip close_notify.
            if (ec == ssl::error::stream_truncated && parser.need_eof()) parser.put_eof(ec);
            if (ec && !head_sent) {  // the client still gets the head before the cut
                point_body(msg.body(), nullptr, 0, true);
                client.expires_after(body_io);
                co_await http::async_write_header(client, sr, use_nothrow);
            }
            if (ec) co_return relay_result{relay_status::upstream_failed, ec};
            std::size_t const got = buffer.size() - msg.body().size;
            bytes_out += got;
            bool const more = !parser.is_done();
            if (got == 0 && more) continue;
            point_body(msg.body(), buffer.data(), got, more);
        } else {
            point_body(msg.body(), nullptr, 0, false);
        }
        client.expires_after(body_io);
        auto [wec, wn] = co_await http::async_write(client, sr, use_nothrow);
        if (wec && !is_need_buffer(wec)) co_return relay_result{relay_status::client_failed, wec};
        head_sent = true;
    }
    co_return relay_result{};
}

net::awaitable<bool> discard_body(net_tls::tls_stream& upstream, beast::flat_buffer& upstream_buffer,
                                  http::response_parser<http::buffer_body>& parser, std::span<char> buffer,
                                  std::chrono::milliseconds body_io, std::size_t max_bytes) {
    auto& up_layer = beast::get_lowest_layer(upstream);
    std::size_t total = 0;
    while (!parser.is_done()) {
        auto& body = parser.get().body();
        body.data = buffer.data();
        body.size = buffer.size();
        up_layer.expires_after(body_io);
        auto [ec, n] = co_await http::async_read_some(upstream, upstream_buffer, parser, use_nothrow);
        if (is_need_buffer(ec)) ec = {};
        if (ec) co_return false;
        total += buffer.size() - body.size;
        if (total > max_bytes) co_return false;
    }
    co_return true;
}

}  // namespace aic::proxy::detail
