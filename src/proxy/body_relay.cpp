// Body relay loops. Heads arrive as wire text and bodies are framed here (raw bytes, or one chunk
// per piece), so a small message costs one gathered write and no Beast serializer.
#include "proxy/body_relay.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/asio/redirect_error.hpp>

namespace aic::proxy::detail {

namespace {

// What one read of a streamed body asks for: a full TLS record's plaintext.
constexpr std::size_t stream_read_bytes = 16 * 1024;
// What one read of a response body asks for: the TLS stream fills it from the records it has
// read ahead, so a large body reaches the client in pieces of up to this size (the relay buffer
// is limits.buffer_bytes, 64 KiB by default).
constexpr std::size_t response_body_read_bytes = 64 * 1024;

// The bytes of one write: an optional head, then at most one body piece (framed as a chunk when
// the body is chunked), then at most the last chunk. Gathered, so a head and a small body leave
// in one system call (one TLS record upstream).
class wire_batch {
public:
    void head(std::string_view h) { buffers_[0] = net::buffer(h.data(), h.size()); }

    void piece(char const* data, std::size_t size, bool chunked) {
        if (size == 0) return;  // an empty chunk would end the body
        if (chunked) {
            auto const line =
                std::to_chars(size_line_.data(), size_line_.data() + size_line_.size() - 2, size, 16);
            line.ptr[0] = '\r';
            line.ptr[1] = '\n';
            buffers_[1] =
                net::buffer(size_line_.data(), static_cast<std::size_t>(line.ptr + 2 - size_line_.data()));
            buffers_[3] = net::buffer(crlf);
        }
        buffers_[2] = net::buffer(data, size);
    }

    void last_chunk() { buffers_[4] = net::buffer(last); }

    // Drops the first `n` bytes, which a write took.
    void consume(std::size_t n) {
        for (auto& b : buffers_) {
            std::size_t const taken = std::min(n, b.size());
            b += taken;
            n -= taken;
        }
    }

    bool empty() const {
        return std::all_of(buffers_.begin(), buffers_.end(), [](auto const& b) { return b.size() == 0; });
    }
    std::array<net::const_buffer, 5> const& buffers() const { return buffers_; }
    void clear() { buffers_ = {}; }

private:
    static constexpr std::string_view crlf = "\r\n";
    static constexpr std::string_view last = "0\r\n\r\n";
    std::array<net::const_buffer, 5> buffers_{};
    std::array<char, 20> size_line_{};
};

// Writes what the socket takes of `batch` now, and drops it from the batch. True when nothing is
// left to wait for: the batch went whole, or the write failed (`ec`). Most writes here are a few
// hundred bytes into a socket with room, and then the coroutine goes on at once: no operation, no
// trip through the event loop's queue, no suspension.
template <class Stream>
bool write_now(Stream& stream, wire_batch& batch, error_code& ec) {
    std::size_t const n = stream.write_now(batch.buffers(), ec);
    if (ec) return true;
    batch.consume(n);
    if (!batch.empty()) return false;
    batch.clear();
    return true;
}

// Starts writing what is left in `batch` within `timeout` (for when write_now could not finish)
// and empties the batch (the write took its own copy of the buffer list; the bytes stay where they
// are). A failure lands in `ec`. Not a coroutine of its own: the caller awaits the write directly,
// which saves a coroutine frame per write.
template <class Stream>
auto flush(Stream& stream, wire_batch& batch, std::chrono::milliseconds timeout, error_code& ec) {
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto write = net::async_write(stream, batch.buffers(), net::redirect_error(net::use_awaitable, ec));
    batch.clear();
    return write;
}

struct piece_result {
    error_code ec;
    std::size_t size = 0;
};

// Reads the next piece of a body into `buffer`. Bytes already buffered are parsed in place, with no
// asynchronous operation; only when they run out is the stream read. A piece may be empty (a chunk
// header alone); buffer_body's need_buffer (the piece filled `buffer`) is progress, not failure.
// `Parser` is the client's request parser or relay_response_parser: both read a body the way
// buffer_body does.
template <class Stream, class Parser>
net::awaitable<piece_result> read_piece(Stream& stream, beast::flat_buffer& buffered, Parser& parser,
                                        std::span<char> buffer) {
    auto& body = parser.get().body();
    body.data = buffer.data();
    body.size = buffer.size();
    auto const got = [&] { return buffer.size() - body.size; };
    while (buffered.size() > 0) {
        error_code ec;
        std::size_t const used = parser.put(buffered.data(), ec);
        buffered.consume(used);
        if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};
        if (ec || got() > 0 || parser.is_done()) co_return piece_result{ec, got()};
        if (used == 0) break;
    }
    auto [ec, n] = co_await http::async_read_some(stream, buffered, parser, use_nothrow);
    if (ec == http::error::need_buffer) ec = {};
    co_return piece_result{ec, got()};
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

net::awaitable<relay_result> send_request(net_tls::tls_stream& upstream, std::string_view head, bool chunked,
                                          client_stream& client, beast::flat_buffer& client_buffer,
                                          request_head_parser& client_parser, replay_store& replay,
                                          std::span<char> buffer, std::chrono::milliseconds body_io,
                                          std::uint64_t& bytes_in) {
    wire_batch batch;
    batch.head(head);
    error_code ec;

    // What was kept from an earlier attempt goes first; `replay` is not appended to meanwhile. The
    // last piece of the body stays in the batch, to leave with the last chunk.
    if (!replay.data().empty()) {
        batch.piece(replay.data().data(), replay.data().size(), chunked);
        if (!client_parser.is_done()) {
            if (!write_now(upstream, batch, ec)) co_await flush(upstream, batch, body_io, ec);
            if (ec) co_return relay_result{relay_status::upstream_failed, ec};
        }
    }

    if (!client_parser.is_done() && client_buffer.capacity() < stream_read_bytes)
        client_buffer.reserve(stream_read_bytes);
    while (!client_parser.is_done()) {
        // A body still to come from the client must not hold the head back.
        if (!batch.empty() && client_buffer.size() == 0) {
            if (!write_now(upstream, batch, ec)) co_await flush(upstream, batch, body_io, ec);
            if (ec) co_return relay_result{relay_status::upstream_failed, ec};
        }
        client.expires_after(body_io);
        auto [rec, got] = co_await read_piece(client, client_buffer, client_parser, buffer);
        if (rec == http::error::body_limit) co_return relay_result{relay_status::body_too_large, rec};
        if (rec) co_return relay_result{relay_status::client_failed, rec};
        bytes_in += got;
        replay.keep(buffer.data(), got);
        batch.piece(buffer.data(), got, chunked);
        if (client_parser.is_done() || batch.empty()) continue;
        if (!write_now(upstream, batch, ec)) co_await flush(upstream, batch, body_io, ec);
        if (ec) co_return relay_result{relay_status::upstream_failed, ec};
    }

    if (chunked) batch.last_chunk();
    if (!batch.empty()) {
        if (!write_now(upstream, batch, ec)) co_await flush(upstream, batch, body_io, ec);
        if (ec) co_return relay_result{relay_status::upstream_failed, ec};
    }
    co_return relay_result{};
}

bool send_request_now(net_tls::tls_stream& upstream, std::string& head, bool body_to_send,
                      relay_result& sent) {
    if (body_to_send) return false;
    error_code ec;
    std::size_t const n = upstream.write_now(net::buffer(head), ec);
    if (ec) {
        sent = relay_result{relay_status::upstream_failed, ec};
        return true;
    }
    if (n == head.size()) return true;
    head.erase(0, n);  // rare: a full socket, or a head over one TLS record
    return false;
}

net::awaitable<error_code> read_response_head(net_tls::tls_stream& upstream, beast::flat_buffer& buffer,
                                              relay_response_parser& parser) {
    for (;;) {
        if (buffer.size() > 0) {
            if (auto const ec = parse_buffered_head(parser, buffer); ec != http::error::need_more)
                co_return ec;
        }
        // A head and a small body usually arrive in one TLS record: room for a whole one.
        auto [ec, n] = co_await upstream.async_read_some(buffer.prepare(stream_read_bytes), use_nothrow);
        if (ec == net::error::eof)
            co_return parser.got_some() ? error_code{http::error::partial_message}
                                        : error_code{http::error::end_of_stream};
        if (ec) co_return ec;
        buffer.commit(n);
    }
}

net::awaitable<relay_result> relay_response(net_tls::tls_stream& upstream,
                                            beast::flat_buffer& upstream_buffer,
                                            relay_response_parser& parser, client_stream& client,
                                            std::string_view head, bool chunked, std::span<char> buffer,
                                            std::chrono::milliseconds body_io, std::uint64_t& bytes_out) {
    wire_batch batch;
    batch.head(head);
    error_code ec;

    // HEAD, 204, 304 and empty bodies: the head is the whole message (and a HEAD answer that says
    // "chunked" must not get a terminating chunk). Body bytes that arrived with the head go out
    // with it, in one write; with nothing buffered the head goes alone at once, so a slow body
    // never holds it back.
    if (parser.is_done() || upstream_buffer.size() == 0) {
        if (!write_now(client, batch, ec)) co_await flush(client, batch, body_io, ec);
        if (ec) co_return relay_result{relay_status::client_failed, ec};
        if (parser.is_done()) co_return relay_result{};
    }

    // Beast reads as much as the buffer's spare capacity (at least 512 bytes): left at the size the
    // head needed, a large body would come in pieces of a few hundred bytes, one client write each.
    auto const length = parser.content_length();
    bool const buffered = length && *length <= upstream_buffer.size();  // a small body came with the head
    if (!buffered && upstream_buffer.capacity() < response_body_read_bytes)
        upstream_buffer.reserve(response_body_read_bytes);
    while (!parser.is_done()) {
        upstream.expires_after(body_io);
        // One piece at a time, not the whole body: a drip-fed chunk reaches the client before the
        // next arrives.
        auto [rec, got] = co_await read_piece(upstream, upstream_buffer, parser, buffer);
        // A close-delimited body ends with the connection; many servers skip close_notify.
        if (rec == ssl::error::stream_truncated && parser.need_eof()) parser.put_eof(rec);
        if (rec) {
            if (!batch.empty() && !write_now(client, batch, ec))  // the head before the cut
                co_await flush(client, batch, body_io, ec);
            co_return relay_result{relay_status::upstream_failed, rec};
        }
        bytes_out += got;
        batch.piece(buffer.data(), got, chunked);
        if (parser.is_done() && chunked) batch.last_chunk();
        if (batch.empty()) continue;
        if (!write_now(client, batch, ec)) co_await flush(client, batch, body_io, ec);
        if (ec) co_return relay_result{relay_status::client_failed, ec};
    }
    co_return relay_result{};
}

net::awaitable<bool> discard_body(net_tls::tls_stream& upstream, beast::flat_buffer& upstream_buffer,
                                  relay_response_parser& parser, std::span<char> buffer,
                                  std::chrono::milliseconds body_io, std::size_t max_bytes) {
    std::size_t total = 0;
    while (!parser.is_done()) {
        upstream.expires_after(body_io);
        auto [ec, got] = co_await read_piece(upstream, upstream_buffer, parser, buffer);
        if (ec) co_return false;
        total += got;
        if (total > max_bytes) co_return false;
    }
    co_return true;
}

}  // namespace aic::proxy::detail
