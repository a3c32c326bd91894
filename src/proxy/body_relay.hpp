// Streaming a body through a bounded buffer (Beast's http_relay pattern): the request from the
// client to the upstream, the response from the upstream to the client. Each read or write must
// make progress within `body_io`. Failures are returned, never thrown.
#pragma once

#include "core/net.hpp"
#include "net/tls_connect.hpp"
#include "proxy/connection.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace aic::proxy::detail {

// The request body kept while it is sent, so a 401 or a stale pooled connection can replay it.
struct replay_store {
    explicit replay_store(std::size_t limit) : limit_(limit) {}
    bool complete() const { return ok_; }  // everything consumed from the client so far is kept
    std::string const& data() const { return data_; }
    std::string& data() { return data_; }  // buffer_body takes a mutable pointer
    void keep(char const* p, std::size_t n);

private:
    std::size_t limit_;
    std::string data_;
    bool ok_ = true;
};

enum class relay_status { ok, client_failed, upstream_failed, body_too_large };

struct relay_result {
    relay_status status = relay_status::ok;
    error_code ec;
};

// Writes `head` (wire text whose body framing is as the client sent it; `chunked` says which),
// then what `replay` holds, then the rest of the client's body as it arrives, into `upstream`. The
// head and the first piece of the body go in one write.
net::awaitable<relay_result> send_request(net_tls::tls_stream& upstream, std::string_view head, bool chunked,
                                          client_stream& client, beast::flat_buffer& client_buffer,
                                          request_head_parser& client_parser, replay_store& replay,
                                          std::span<char> buffer, std::chrono::milliseconds body_io,
                                          std::uint64_t& bytes_in);

// The common request, a head alone (`body_to_send` false: no body to come, none to replay), sent
// with no coroutine frame, as far as the socket takes it at once. True when nothing is left for
// send_request: the head went whole, or the write failed (`sent` says so). False leaves in `head`
// what is still to send (the part sent is erased: forward's frame has no room to spare for a view
// of the rest, see forwarder.cpp).
bool send_request_now(net_tls::tls_stream& upstream, std::string& head, bool body_to_send,
                      relay_result& sent);

// Reads until `parser` holds a whole response head. Bytes already in `buffer` are parsed in place;
// the stream is read only for more. End of stream before a whole head is http::error::
// end_of_stream (partial_message once part of it came), as Beast's own reads report it.
net::awaitable<error_code> read_response_head(net_tls::tls_stream& upstream, beast::flat_buffer& buffer,
                                              relay_response_parser& parser);

// Writes `head` (wire text for the client; `chunked` says whether the body goes in chunks) and
// relays the body `parser` reads from `upstream`, flushing each piece as soon as it arrives. A
// body that came in with the upstream's head goes out with `head` in one write.
net::awaitable<relay_result> relay_response(net_tls::tls_stream& upstream,
                                            beast::flat_buffer& upstream_buffer,
                                            relay_response_parser& parser, client_stream& client,
                                            std::string_view head, bool chunked, std::span<char> buffer,
                                            std::chrono::milliseconds body_io, std::uint64_t& bytes_out);

// Reads and drops a (small) response body so its connection can be reused; false when the body
// was larger than `max_bytes` or the read failed (then the connection must be dropped).
net::awaitable<bool> discard_body(net_tls::tls_stream& upstream, beast::flat_buffer& upstream_buffer,
                                  relay_response_parser& parser, std::span<char> buffer,
                                  std::chrono::milliseconds body_io, std::size_t max_bytes);

}  // namespace aic::proxy::detail
